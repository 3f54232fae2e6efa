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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;
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

	@RegisterExtension
	final PresenceCluster cluster = new PresenceCluster();

	private final List<PhoenixSocket> clients = new ArrayList<>();

	private final Map<PhoenixSocket, Fact> truth = new LinkedHashMap<>();

	private final Set<Fact> expectedLeaves = new HashSet<>();

	private final String topic = "realtime:failover-" + UUID.randomUUID().toString().substring(0, 8);

	private ClusterNode a;

	private ClusterNode b;

	@Test
	void clusterMasterKilledLosesNoAcknowledgedChangeAndNoLivePresence() {
		// given: a cluster, and a topic on the master that also holds presence:nodes (the worst case)
		RedisCluster redis = this.cluster.redis(RedisCluster.start(3, 1, DETECTION));
		String topic = topicOn(redis, redis.masterOf("presence:nodes"));
		startNodes();

		int master = redis.masterOf(RedisInspector.entriesKey(topic));
		runFailover("Cluster master killed", topic, () -> redis.kill(master), () -> {
			int now = redis.masterOf(RedisInspector.entriesKey(topic));
			return now != master && now != -1;
		});
	}

	@Test
	void sentinelMasterKilledLosesNoAcknowledgedChangeAndNoLivePresence() {
		// given: a master, its replica and three Sentinels that know each other and the replica
		RedisServer master = this.cluster.stopLater(RedisServer.start());
		RedisServer replica = this.cluster.stopLater(RedisServer.startReplica(master));
		await("replica in sync").atMost(Duration.ofSeconds(10))
			.until(() -> RedisInspector.cli(replica, "INFO", "replication").contains("master_link_status:up"));
		List<RedisServer> sentinels = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			sentinels.add(this.cluster.stopLater(RedisServer.startSentinel(master, SENTINEL_MASTER, 2, DETECTION)));
		}
		await("Sentinels knowing each other and the replica").atMost(Duration.ofSeconds(15))
			.until(() -> sentinels.stream()
				.allMatch((sentinel) -> RedisInspector.cli(sentinel, "SENTINEL", "MASTER", SENTINEL_MASTER)
					.matches("(?s).*num-other-sentinels\\n2\\n.*")
						&& RedisInspector.cli(sentinel, "SENTINEL", "REPLICAS", SENTINEL_MASTER)
							.contains(Integer.toString(replica.port()))));
		this.cluster.sentinels(SENTINEL_MASTER, sentinels);
		startNodes();

		runFailover("Sentinel master killed", this.topic, master::kill,
				() -> RedisInspector.cli(replica, "ROLE").startsWith("master"));
	}

	private void startNodes() {
		this.a = this.cluster.node("a");
		this.b = this.cluster.node("b");
	}

	/**
	 * Kill the master under live clients and check what they see.
	 * @param promoted whether a replica took over, as Redis reports it
	 */
	private void runFailover(String what, String topic, Runnable kill, BooleanSupplier promoted) {
		RedisInspector inspector = this.cluster.inspector();
		// given: two trackers and an observer on each node
		for (ClusterNode node : List.of(this.a, this.b)) {
			for (int i = 0; i < 2; i++) {
				PhoenixSocket tracker = connect(node, "tracker-" + node.id() + i);
				Fact tracked = Fact.of(tracker, 1);
				tracker.join(topic, tracked.key());
				tracker.track(topic, tracked.state());
				this.truth.put(tracker, tracked);
			}
			connect(node, "observer-" + node.id()).join(topic, "observer-" + node.id());
		}
		awaitEveryViewEqualsTruth(topic, inspector, Duration.ofSeconds(10));
		PhoenixSocket updater = this.clients.get(0);
		PhoenixSocket leaver = this.clients.get(1);
		PhoenixSocket untracker = this.clients.get(3);

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
			Fact updated = Fact.of(updater, 2);
			updater.track(topic, updated.state());
			acknowledged(updater, updated);
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
			PhoenixSocket newcomer = connect(this.b, "newcomer-b");
			Fact joined = Fact.of(newcomer, 1);
			newcomer.join(topic, joined.key());
			newcomer.track(topic, joined.state());
			acknowledged(newcomer, joined);
		}));

		// then: every change is acknowledged, and every view converges to the truth in time
		CompletableFuture.allOf(changes.toArray(CompletableFuture[]::new)).orTimeout(20, TimeUnit.SECONDS).join();
		long acknowledged = (System.nanoTime() - start) / 1_000_000;
		Duration bound = DETECTION.plus(MARGIN);
		awaitEveryViewEqualsTruth(topic, inspector, Duration.ofMillis(Math.max(500, bound.toMillis() - acknowledged)));
		long converged = (System.nanoTime() - start) / 1_000_000;
		System.out.println("MEASURED " + what + " -> Redis promoted a replica: " + writable.join()
				+ " ms, every change acknowledged: " + acknowledged + " ms, every view equal to the truth: " + converged
				+ " ms");
		assertThat(Duration.ofMillis(converged)).as("time to converge").isLessThanOrEqualTo(bound);

		// and stays so past the node timeout: no live node was reaped, nothing was lost
		await().during(STABLE).atMost(STABLE.plusSeconds(5))
			.untilAsserted(() -> assertEveryViewEqualsTruth(topic, inspector));
		for (PhoenixSocket client : liveClients()) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			List<Fact> left = PresenceViews.left(client.view(topic));
			assertThat(new HashSet<>(left)).as("presences " + client.name() + " saw leave")
				.isSubsetOf(this.expectedLeaves);
			assertThat(left).as("leaves seen by " + client.name()).doesNotHaveDuplicates();
		}

		// and late joiners on either node see the truth at once
		for (ClusterNode node : List.of(this.a, this.b)) {
			PhoenixSocket late = connect(node, "late-" + node.id());
			late.join(topic, "late-" + node.id());
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(PresenceViews.ofClient(late.view(topic)))
					.as("state of " + late.name())
					.isEqualTo(inspector.entries(topic)));
		}
	}

	private void acknowledged(PhoenixSocket client, Fact fact) {
		synchronized (this.truth) {
			if (fact != null) {
				this.truth.put(client, fact);
			}
			else {
				this.truth.remove(client);
			}
		}
	}

	private PhoenixSocket connect(ClusterNode node, String name) {
		PhoenixSocket client = this.cluster.client(node, name);
		synchronized (this.clients) {
			this.clients.add(client);
		}
		return client;
	}

	private void awaitEveryViewEqualsTruth(String topic, RedisInspector inspector, Duration within) {
		await().atMost(within).pollInterval(Duration.ofMillis(50))
			.untilAsserted(() -> assertEveryViewEqualsTruth(topic, inspector));
	}

	private void assertEveryViewEqualsTruth(String topic, RedisInspector inspector) {
		List<String> expected;
		synchronized (this.truth) {
			expected = PresenceViews.facts(this.truth.values());
		}
		Map<String, Fact> inRedis = inspector.entries(topic);
		assertThat(PresenceViews.facts(inRedis)).as("HGETALL presence:{" + topic + "}:e").isEqualTo(expected);
		for (ClusterNode node : List.of(this.a, this.b)) {
			assertThat(PresenceViews.ofService(node.presence(), topic)).as("PresenceService.list on " + node.id())
				.isEqualTo(inRedis);
		}
		for (PhoenixSocket client : liveClients()) {
			assertThat(PresenceViews.ofClient(client.view(topic))).as("state of " + client.name())
				.isEqualTo(inRedis);
		}
	}

	private List<PhoenixSocket> liveClients() {
		synchronized (this.clients) {
			return this.clients.stream().filter((client) -> !client.isClosed()).toList();
		}
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

}
