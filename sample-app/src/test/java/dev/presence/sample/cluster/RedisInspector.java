package dev.presence.sample.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;

import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.RedisCluster;
import dev.presence.test.RedisServer;

/**
 * Reads what a Redis (standalone, a cluster, or behind Sentinels) holds of presence, in
 * the layout of {@code RedisPresenceStore}'s Javadoc ({@code presence:{T}:e}: ref &rarr;
 * {@code {"k": key, "n": node, "m": state, ...}}), and runs {@code redis-cli}.
 */
final class RedisInspector implements AutoCloseable {

	private final Function<String, Map<String, String>> hgetall;

	private final AutoCloseable resources;

	private final StatefulRedisClusterConnection<String, String> clusterConnection;

	private RedisInspector(Function<String, Map<String, String>> hgetall, AutoCloseable resources,
			StatefulRedisClusterConnection<String, String> clusterConnection) {
		this.hgetall = hgetall;
		this.resources = resources;
		this.clusterConnection = clusterConnection;
	}

	static RedisInspector of(RedisServer redis) {
		RedisClient client = RedisClient.create(redis.uri());
		StatefulRedisConnection<String, String> connection = client.connect();
		return new RedisInspector((key) -> connection.sync().hgetall(key), () -> {
			connection.close();
			client.shutdown(0, 2, TimeUnit.SECONDS);
		}, null);
	}

	/**
	 * An inspector of a cluster, that asks where the slots are before each read: a
	 * failover moves them.
	 */
	static RedisInspector of(RedisCluster redis) {
		RedisClusterClient client = RedisClusterClient.create(redis.uris());
		StatefulRedisClusterConnection<String, String> connection = client.connect();
		return new RedisInspector((key) -> {
			client.refreshPartitions();
			return connection.sync().hgetall(key);
		}, () -> {
			connection.close();
			client.shutdown(0, 2, TimeUnit.SECONDS);
		}, connection);
	}

	/**
	 * An inspector of the master that Sentinels name, that asks them for the master of now
	 * before each read.
	 */
	static RedisInspector of(String master, List<RedisServer> sentinels) {
		RedisURI.Builder uri = RedisURI.builder();
		sentinels.forEach((sentinel) -> uri.withSentinel(sentinel.host(), sentinel.port()));
		RedisClient client = RedisClient.create(uri.withSentinelMasterId(master).build());
		return new RedisInspector((key) -> {
			try (StatefulRedisConnection<String, String> connection = client.connect()) {
				return connection.sync().hgetall(key);
			}
		}, () -> client.shutdown(0, 2, TimeUnit.SECONDS), null);
	}

	/**
	 * {@code HGETALL presence:{T}:e}, as ref to key and state.
	 */
	Map<String, Fact> entries(String topic) {
		Map<String, Fact> byRef = new TreeMap<>();
		this.hgetall.apply(entriesKey(topic)).forEach((ref, json) -> {
			Map<String, Object> entry = parse(json);
			@SuppressWarnings("unchecked")
			Map<String, Object> state = (Map<String, Object>) entry.getOrDefault("m", Map.of());
			byRef.put(ref, new Fact((String) entry.get("k"), new LinkedHashMap<>(state)));
		});
		return byRef;
	}

	/**
	 * {@code HGETALL presence:{T}:e}, as ref to owning node.
	 */
	Map<String, String> owners(String topic) {
		Map<String, String> owners = new TreeMap<>();
		this.hgetall.apply(entriesKey(topic))
			.forEach((ref, json) -> owners.put(ref, String.valueOf(parse(json).get("n"))));
		return owners;
	}

	/**
	 * The {@code host:port} of the master that serves a key's slot, as the cluster
	 * inspector's client last learnt it.
	 */
	String masterOf(String key) {
		if (this.clusterConnection == null) {
			throw new IllegalStateException("Not a cluster's inspector");
		}
		RedisClusterNode master = this.clusterConnection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
		return master.getUri().getHost() + ":" + master.getUri().getPort();
	}

	static String entriesKey(String topic) {
		return "presence:{" + topic + "}:e";
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> parse(String json) {
		return PhoenixSocket.MAPPER.readValue(json, Map.class);
	}

	/**
	 * Run {@code redis-cli} against a server and return its output.
	 */
	static String cli(RedisServer redis, String... arguments) {
		List<String> command = new ArrayList<>(
				List.of("redis-cli", "-h", redis.host(), "-p", Integer.toString(redis.port())));
		command.addAll(List.of(arguments));
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException("redis-cli " + String.join(" ", arguments) + " hung");
			}
			return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public void close() throws Exception {
		this.resources.close();
	}

}
