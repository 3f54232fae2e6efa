package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.presence.sample.cluster.PhoenixTestClient.ClientEvent;
import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.RedisCluster;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Redis master that holds a topic dies ({@code SIGKILL}) while clients on two nodes
 * track, update, untrack, join and leave in it, and a replica takes over: on a Redis
 * Cluster (three masters, three replicas) and behind Sentinels (a master, a replica,
 * three Sentinels). The nodes are configured only with Boot's {@code spring.data.redis.*}
 * properties, so they run on the defaults the starter gives Lettuce.
 * <p>
 * Every change is acknowledged to its client, every view (what Redis holds, each node's
 * {@code PresenceService}, each client) converges to the truth within the Redis failure
 * detection time plus {@link #MARGIN}, stays there past the node timeout (no live node is
 * reaped), no client is disconnected, no client sees a presence leave that did not, and a
 * client that joins afterwards sees the truth.
 */
class RedisFailoverTests {

	/** How long a master must not answer before a replica takes over. */
	private static final Duration DETECTION = Duration.ofSeconds(2);

	/** The target: clients back in sync within the detection time plus this. */
	private static final Duration MARGIN = Duration.ofSeconds(4);

	/** Past the node timeout of {@link ClusterNode#FAST} (3s), when a wrongly dead node would be reaped. */
	private static final Duration STABLE = Duration.ofSeconds(4);

	private static final String SENTINEL_MASTER = "presence-failover";

	private final List<AutoCloseable> resources = new ArrayList<>();

	private final List<PhoenixTestClient> clients = new ArrayList<>();

	private final Map<PhoenixTestClient, Fact> truth = new LinkedHashMap<>();

	private final Set<Fact> expectedLeaves = new HashSet<>();

	private final String topic = "realtime:failover-" + UUID.randomUUID().toString().substring(0, 8);

	private ClusterNode a;

	private ClusterNode b;

	@AfterEach
	void closeEverything() {
		this.clients.forEach(PhoenixTestClient::close);
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			try {
				this.resources.get(i).close();
			}
			catch (Exception ex) {
				// best effort: the next one must still be closed
			}
		}
	}

	@Test
	void clusterMasterKilledLosesNoAcknowledgedChangeAndNoLivePresence() {
		// given: a cluster, and a topic on the master that also holds presence:nodes (the worst case)
		RedisCluster redis = RedisCluster.start(3, 1, DETECTION);
		this.resources.add(redis);
		String topic = topicOn(redis, redis.masterOf("presence:nodes"));
		RedisClusterClient inspectorClient = RedisClusterClient.create(redis.uris());
		this.resources.add(() -> inspectorClient.shutdown(0, 2, TimeUnit.SECONDS));
		StatefulRedisClusterConnection<String, String> inspector = inspectorClient.connect();
		String seeds = redis.nodes().stream().map((node) -> node.host() + ":" + node.port())
			.collect(Collectors.joining(","));
		startNodes(List.of("spring.data.redis.cluster.nodes=" + seeds));
		Function<String, Map<String, Fact>> stored = (key) -> {
			inspectorClient.refreshPartitions();
			return RedisInspector.toFacts(inspector.sync().hgetall(key));
		};

		int master = redis.masterOf("presence:{" + topic + "}:e");
		runFailover("Cluster master killed", topic, stored, () -> redis.kill(master), () -> {
			int now = redis.masterOf("presence:{" + topic + "}:e");
			return now != master && now != -1;
		});
	}

	@Test
	void sentinelMasterKilledLosesNoAcknowledgedChangeAndNoLivePresence() {
		// given: a master, its replica and three Sentinels that know each other and the replica
		RedisServer master = RedisServer.start();
		this.resources.add(master);
		RedisServer replica = RedisServer.startReplica(master);
		this.resources.add(replica);
		await("replica in sync").atMost(Duration.ofSeconds(10))
			.until(() -> RedisInspector.cli(replica.host(), replica.port(), "INFO", "replication")
				.contains("master_link_status:up"));
		List<RedisServer> sentinels = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			RedisServer sentinel = RedisServer.startSentinel(master, SENTINEL_MASTER, 2, DETECTION);
			this.resources.add(sentinel);
			sentinels.add(sentinel);
		}
		await("Sentinels knowing each other and the replica").atMost(Duration.ofSeconds(15)).until(() -> sentinels
			.stream()
			.allMatch((sentinel) -> RedisInspector.cli(sentinel.host(), sentinel.port(), "SENTINEL", "MASTER",
					SENTINEL_MASTER)
				.matches("(?s).*num-other-sentinels\\n2\\n.*") && RedisInspector
					.cli(sentinel.host(), sentinel.port(), "SENTINEL", "REPLICAS", SENTINEL_MASTER)
					.contains(Integer.toString(replica.port()))));
		String nodes = sentinels.stream().map((sentinel) -> sentinel.host() + ":" + sentinel.port())
			.collect(Collectors.joining(","));
		startNodes(List.of("spring.data.redis.sentinel.master=" + SENTINEL_MASTER,
				"spring.data.redis.sentinel.nodes=" + nodes));
		RedisURI.Builder uri = RedisURI.builder();
		sentinels.forEach((sentinel) -> uri.withSentinel(sentinel.host(), sentinel.port()));
		RedisClient inspectorClient = RedisClient.create(uri.withSentinelMasterId(SENTINEL_MASTER).build());
		this.resources.add(() -> inspectorClient.shutdown(0, 2, TimeUnit.SECONDS));
		Function<String, Map<String, Fact>> stored = (key) -> {
			// a new connection asks the Sentinels for the master of now
			try (StatefulRedisConnection<String, String> connection = inspectorClient.connect()) {
				return RedisInspector.toFacts(connection.sync().hgetall(key));
			}
		};

		runFailover("Sentinel master killed", this.topic, stored, master::kill,
				() -> RedisInspector.cli(replica.host(), replica.port(), "ROLE").startsWith("master"));
	}

	private void startNodes(List<String> redisProperties) {
		List<String> properties = new ArrayList<>(ClusterNode.FAST);
		properties.addAll(redisProperties);
		this.a = ClusterNode.start("a", properties);
		this.resources.add(this.a);
		this.b = ClusterNode.start("b", properties);
		this.resources.add(this.b);
	}

	/**
	 * Kill the master under live clients and check what they see.
	 * @param promoted whether a replica took over, as Redis reports it
	 */
	private void runFailover(String what, String topic, Function<String, Map<String, Fact>> stored, Runnable kill,
			BooleanSupplier promoted) {
		// given: two trackers and an observer on each node
		for (ClusterNode node : List.of(this.a, this.b)) {
			for (int i = 0; i < 2; i++) {
				PhoenixTestClient tracker = connect(node, "tracker-" + node.id() + i);
				tracker.join(topic, key(tracker));
				tracker.track(topic, state(tracker, 1));
				this.truth.put(tracker, new Fact(key(tracker), state(tracker, 1)));
			}
			connect(node, "observer-" + node.id()).join(topic, "observer-" + node.id());
		}
		awaitEveryViewEqualsTruth(topic, stored, Duration.ofSeconds(10));
		PhoenixTestClient updater = this.clients.get(0);
		PhoenixTestClient leaver = this.clients.get(1);
		PhoenixTestClient untracker = this.clients.get(3);

		this.expectedLeaves.add(this.truth.get(updater));
		this.expectedLeaves.add(this.truth.get(untracker));
		this.expectedLeaves.add(this.truth.get(leaver));

		// when: the master dies, and clients change presence at once, while it is down
		long start = System.nanoTime();
		kill.run();
		CompletableFuture<Long> writable = CompletableFuture.supplyAsync(() -> {
			await("a replica promoted").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
				.until(promoted::getAsBoolean);
			return (System.nanoTime() - start) / 1_000_000;
		});
		List<CompletableFuture<Void>> changes = new ArrayList<>();
		changes.add(CompletableFuture.runAsync(() -> {
			updater.track(topic, state(updater, 2));
			acknowledged(updater, new Fact(key(updater), state(updater, 2)));
		}));
		changes.add(CompletableFuture.runAsync(() -> {
			untracker.untrack(topic);
			acknowledged(untracker, null);
		}));
		changes.add(CompletableFuture.runAsync(() -> {
			leaver.close();
			acknowledged(leaver, null);
		}));
		changes.add(CompletableFuture.runAsync(() -> {
			PhoenixTestClient newcomer = connect(this.b, "newcomer-b");
			newcomer.join(topic, key(newcomer));
			newcomer.track(topic, state(newcomer, 1));
			acknowledged(newcomer, new Fact(key(newcomer), state(newcomer, 1)));
		}));

		// then: every change is acknowledged, and every view converges to the truth in time
		CompletableFuture.allOf(changes.toArray(CompletableFuture[]::new)).orTimeout(20, TimeUnit.SECONDS).join();
		long acknowledged = (System.nanoTime() - start) / 1_000_000;
		Duration bound = DETECTION.plus(MARGIN);
		awaitEveryViewEqualsTruth(topic, stored, Duration.ofMillis(Math.max(500, bound.toMillis() - acknowledged)));
		long converged = (System.nanoTime() - start) / 1_000_000;
		System.out.println("MEASURED " + what + " -> Redis promoted a replica: " + writable.join()
				+ " ms, every change acknowledged: " + acknowledged + " ms, every view equal to the truth: " + converged
				+ " ms");
		assertThat(Duration.ofMillis(converged)).as("time to converge").isLessThanOrEqualTo(bound);

		// and stays so past the node timeout: no live node was reaped, nothing was lost
		await().during(STABLE).atMost(STABLE.plusSeconds(5))
			.untilAsserted(() -> assertEveryViewEqualsTruth(topic, stored));
		for (PhoenixTestClient client : liveClients()) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			List<Fact> left = leftFacts(client, topic);
			assertThat(new HashSet<>(left)).as("presences " + client.name() + " saw leave")
				.isSubsetOf(this.expectedLeaves);
			assertThat(left).as("leaves seen by " + client.name()).doesNotHaveDuplicates();
		}

		// and late joiners on either node see the truth at once
		for (ClusterNode node : List.of(this.a, this.b)) {
			PhoenixTestClient late = connect(node, "late-" + node.id());
			late.join(topic, "late-" + node.id());
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(PresenceViews.ofClient(late.channel(topic)))
					.as("state of " + late.name())
					.isEqualTo(stored.apply("presence:{" + topic + "}:e")));
		}
	}

	private void acknowledged(PhoenixTestClient client, Fact fact) {
		synchronized (this.truth) {
			if (fact != null) {
				this.truth.put(client, fact);
			}
			else {
				this.truth.remove(client);
			}
		}
	}

	private PhoenixTestClient connect(ClusterNode node, String name) {
		PhoenixTestClient client = node.connect(name);
		synchronized (this.clients) {
			this.clients.add(client);
		}
		return client;
	}

	private void awaitEveryViewEqualsTruth(String topic, Function<String, Map<String, Fact>> stored, Duration within) {
		await().atMost(within).pollInterval(Duration.ofMillis(50))
			.untilAsserted(() -> assertEveryViewEqualsTruth(topic, stored));
	}

	private void assertEveryViewEqualsTruth(String topic, Function<String, Map<String, Fact>> stored) {
		List<String> expected;
		synchronized (this.truth) {
			expected = PresenceViews.facts(this.truth.values());
		}
		Map<String, Fact> inRedis = stored.apply("presence:{" + topic + "}:e");
		assertThat(PresenceViews.facts(inRedis)).as("HGETALL presence:{" + topic + "}:e").isEqualTo(expected);
		for (ClusterNode node : List.of(this.a, this.b)) {
			assertThat(PresenceViews.ofService(node.presence(), topic)).as("PresenceService.list on " + node.id())
				.isEqualTo(inRedis);
		}
		for (PhoenixTestClient client : liveClients()) {
			assertThat(PresenceViews.ofClient(client.channel(topic))).as("state of " + client.name())
				.isEqualTo(inRedis);
		}
	}

	private List<PhoenixTestClient> liveClients() {
		synchronized (this.clients) {
			return this.clients.stream().filter((client) -> !client.isClosed()).toList();
		}
	}

	private static List<Fact> leftFacts(PhoenixTestClient client, String topic) {
		return client.channel(topic)
			.events()
			.stream()
			.filter((event) -> event.kind().equals("leave"))
			.map(RedisFailoverTests::factOf)
			.collect(Collectors.toList());
	}

	private static Fact factOf(ClientEvent event) {
		Map<String, Object> state = new LinkedHashMap<>(event.meta());
		state.remove("phx_ref");
		state.remove("phx_ref_prev");
		return new Fact(event.key(), state);
	}

	private String topicOn(RedisCluster redis, int master) {
		for (int i = 0; i < 10_000; i++) {
			String candidate = this.topic + "-" + i;
			if (redis.masterOf("presence:{" + candidate + "}:e") == master) {
				return candidate;
			}
		}
		throw new IllegalStateException("No topic found on master " + master);
	}

	private static String key(PhoenixTestClient client) {
		return "user-" + client.name();
	}

	private static Map<String, Object> state(PhoenixTestClient client, int version) {
		return Map.of("client", client.name(), "v", version);
	}

}
