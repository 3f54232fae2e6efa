package dev.presence.sample.cluster;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.RedisCluster;
import dev.presence.test.RedisServer;

/**
 * What a multi-node test runs: a Redis (standalone, a cluster or behind Sentinels), the
 * presence nodes on it, their clients and whatever else must be stopped. Registered with
 * {@code @RegisterExtension}, it stops everything in the reverse order it was started:
 * what was started during a test (or its {@code @BeforeEach}) after that test, what was
 * started outside of one (a static field's fixture in {@code @BeforeAll}) after the
 * class. A failure to stop one thing does not keep the others running.
 */
final class PresenceCluster implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

	// guarded by itself
	private final Deque<AutoCloseable> running = new ArrayDeque<>();

	/** How many of {@link #running} outlive the current test: those started outside of one. */
	private volatile int outsideTests;

	private volatile List<String> redisProperties = List.of();

	private volatile Supplier<RedisInspector> inspector = () -> {
		throw new IllegalStateException("No Redis to inspect yet");
	};

	/**
	 * Start a standalone {@code redis-server}, for the nodes started from now on.
	 */
	RedisServer redis() {
		RedisServer redis = stopLater(RedisServer.start());
		this.redisProperties = List.of("spring.data.redis.host=" + redis.host(),
				"spring.data.redis.port=" + redis.port());
		this.inspector = () -> RedisInspector.of(redis);
		return redis;
	}

	/**
	 * Use a Redis Cluster, as Boot configures any ({@code spring.data.redis.cluster.nodes}),
	 * for the nodes started from now on; it is stopped with the rest.
	 */
	RedisCluster redis(RedisCluster redis) {
		stopLater(redis);
		String seeds = redis.nodes()
			.stream()
			.map((node) -> node.host() + ":" + node.port())
			.collect(Collectors.joining(","));
		this.redisProperties = List.of("spring.data.redis.cluster.nodes=" + seeds);
		this.inspector = () -> RedisInspector.of(redis);
		return redis;
	}

	/**
	 * Find Redis through Sentinels ({@code spring.data.redis.sentinel.master} and
	 * {@code .nodes}) for the nodes started from now on. The Sentinels and their Redis
	 * are the caller's to start, and to {@link #stopLater(AutoCloseable)}.
	 */
	void sentinels(String master, List<RedisServer> sentinels) {
		String nodes = sentinels.stream()
			.map((sentinel) -> sentinel.host() + ":" + sentinel.port())
			.collect(Collectors.joining(","));
		this.redisProperties = List.of("spring.data.redis.sentinel.master=" + master,
				"spring.data.redis.sentinel.nodes=" + nodes);
		this.inspector = () -> RedisInspector.of(master, sentinels);
	}

	/**
	 * Start a node in this JVM on the Redis, with {@link ClusterNode#FAST} timings.
	 */
	ClusterNode node(String id) {
		return node(id, ClusterNode.FAST);
	}

	/**
	 * Start a node in this JVM on the Redis.
	 * @param properties every property but those of Redis, the port and the node id,
	 * {@code name=value}
	 */
	ClusterNode node(String id, List<String> properties) {
		return stopLater(ClusterNode.start(id, concat(this.redisProperties, properties)));
	}

	/**
	 * Start a node in a JVM of its own on the Redis, without waiting for it to be ready.
	 * @param properties as for {@link #node(String, List)}
	 */
	ChildJvmNode launch(String id, List<String> properties) {
		return stopLater(ChildJvmNode.launch(id, concat(this.redisProperties, properties)));
	}

	/**
	 * Connect a client to a node; it is closed before the node stops.
	 */
	PhoenixSocket client(ClusterNode node, String name) {
		PhoenixSocket client = node.connect(name);
		stopLater(client);
		return client;
	}

	/**
	 * Something that reads the Redis, stopped with the rest.
	 */
	RedisInspector inspector() {
		return stopLater(this.inspector.get());
	}

	/**
	 * Stop something with the rest: before what was started earlier, after what is started
	 * later.
	 * @return the same thing
	 */
	<T extends AutoCloseable> T stopLater(T resource) {
		synchronized (this.running) {
			this.running.push(resource);
		}
		return resource;
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		synchronized (this.running) {
			this.outsideTests = this.running.size();
		}
	}

	@Override
	public void afterEach(ExtensionContext context) throws Exception {
		stopDownTo(this.outsideTests);
	}

	@Override
	public void afterAll(ExtensionContext context) throws Exception {
		stopDownTo(0);
	}

	private void stopDownTo(int remaining) throws Exception {
		Exception failure = null;
		while (true) {
			AutoCloseable resource;
			synchronized (this.running) {
				if (this.running.size() <= remaining) {
					break;
				}
				resource = this.running.pop();
			}
			try {
				resource.close();
			}
			catch (Exception ex) {
				if (failure == null) {
					failure = ex;
				}
				else {
					failure.addSuppressed(ex);
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
	}

	private static List<String> concat(List<String> first, List<String> second) {
		return Stream.concat(first.stream(), second.stream()).toList();
	}

}
