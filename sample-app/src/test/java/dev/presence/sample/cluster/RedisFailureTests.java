package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.redis.RedisPresenceStore;
import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis loses everything, or a node loses its subscriptions, while clients stay connected:
 * the nodes put back what their live connections hold, no client is disconnected, and no
 * client sees a presence leave whose connection never dropped.
 */
class RedisFailureTests {

	private static final Duration RECOVERY = Duration.ofSeconds(5);

	/** Past the node timeout (3s), when a replica stops holding presences Redis lost. */
	private static final Duration STABLE = Duration.ofSeconds(4);

	/** How long Redis answers nothing: past the node timeout (3s) and the command timeout (5s). */
	private static final Duration UNREACHABLE = Duration.ofSeconds(8);

	private static final int CLIENTS_PER_NODE = 3;

	@RegisterExtension
	static final PresenceCluster cluster = new PresenceCluster();

	private static RedisServer redis;

	private static ClusterNode a;

	private static ClusterNode b;

	private static RedisInspector inspector;

	private final List<PhoenixSocket> clients = new ArrayList<>();

	private final Map<PhoenixSocket, Fact> truth = new LinkedHashMap<>();

	private String topic;

	@BeforeAll
	static void startNodes() {
		redis = cluster.redis();
		a = cluster.node("a");
		b = cluster.node("b");
		inspector = cluster.inspector();
	}

	@Test
	void redisRestartedEmptyIsRefilledByTheNodesWithoutDroppingClientsOrSendingSpuriousLeaves() {
		givenTrackedClientsOnBothNodes("restart");
		long start = System.nanoTime();
		redis.restart();
		thenEveryViewRecoversWithoutSpuriousLeaves("Redis restarted empty", start);
	}

	@Test
	void flushAllIsRefilledByTheNodesWithoutDroppingClientsOrSendingSpuriousLeaves() {
		givenTrackedClientsOnBothNodes("flush");
		long start = System.nanoTime();
		redis.flushAll();
		thenEveryViewRecoversWithoutSpuriousLeaves("FLUSHALL", start);
	}

	@Test
	void redisUnreachablePastTheNodeTimeoutReapsNoLiveNodeAndSendsNoSpuriousLeave() {
		givenTrackedClientsOnBothNodes("frozen");
		long start = System.nanoTime();
		// Redis answers nothing (SIGSTOP) for longer than the node timeout and the command
		// timeout: every heartbeat fails, and every score in presence:nodes grows old
		redis.pause();
		try {
			await().during(UNREACHABLE).atMost(UNREACHABLE.plusSeconds(5)).untilAsserted(() -> {
				for (PhoenixSocket client : this.clients) {
					assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason())
						.isFalse();
				}
			});
		}
		finally {
			redis.resume();
		}
		thenEveryViewRecoversWithoutSpuriousLeaves("Redis unreachable for " + UNREACHABLE.toSeconds() + " s", start);
		assertThat(RedisInspector.cli(redis, "ZRANGE", RedisPresenceStore.NODES_KEY, "0", "-1").lines().sorted())
			.as("live nodes in " + RedisPresenceStore.NODES_KEY).containsExactly("a", "b");
	}

	@Test
	void killedPubSubConnectionsAreResubscribedAndChangesMadeMeanwhileAreNotLost() {
		givenTrackedClientsOnBothNodes("pubsub");
		PhoenixSocket updater = this.clients.get(0);
		PhoenixSocket leaver = this.clients.get(1);
		PhoenixSocket untracker = this.clients.get(CLIENTS_PER_NODE);
		Set<Fact> expectedLeaves = Set.of(this.truth.get(updater), this.truth.get(leaver), this.truth.get(untracker));

		// when: every pub/sub connection is killed, and changes are made right away
		long start = System.nanoTime();
		String killed = RedisInspector.cli(redis, "CLIENT", "KILL", "TYPE", "pubsub");
		System.out.println("CLIENT KILL TYPE pubsub answered " + killed);
		assertThat(Integer.parseInt(killed)).as("killed pub/sub connections, at least one per node")
			.isGreaterThanOrEqualTo(2);
		Fact updated = Fact.of(updater, 2);
		updater.track(this.topic, updated.state());
		this.truth.put(updater, updated);
		leaver.close();
		this.truth.remove(leaver);
		untracker.untrack(this.topic);
		this.truth.remove(untracker);
		PhoenixSocket newcomer = connect(b, "pubsub-newcomer");
		Fact joined = Fact.of(newcomer, 1);
		newcomer.join(this.topic, joined.key());
		newcomer.track(this.topic, joined.state());
		this.truth.put(newcomer, joined);

		// then
		awaitEveryViewEqualsTruth(RECOVERY);
		System.out.println("MEASURED pubsub killed -> every view converged: " + (System.nanoTime() - start) / 1_000_000
				+ " ms");
		await().during(STABLE).atMost(STABLE.plusSeconds(5)).untilAsserted(this::assertEveryViewEqualsTruth);
		for (PhoenixSocket client : liveClients()) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			List<Fact> left = PresenceViews.left(client.view(this.topic));
			assertThat(new HashSet<>(left)).as("presences " + client.name() + " saw leave").isSubsetOf(expectedLeaves);
			assertThat(left).as("leaves seen by " + client.name()).doesNotHaveDuplicates();
		}
	}

	private void givenTrackedClientsOnBothNodes(String name) {
		this.topic = "realtime:" + name + "-" + UUID.randomUUID();
		for (ClusterNode node : List.of(a, b)) {
			for (int i = 0; i < CLIENTS_PER_NODE; i++) {
				PhoenixSocket client = connect(node, name + "-" + node.id() + i);
				Fact fact = Fact.of(client, 1);
				client.join(this.topic, fact.key());
				client.track(this.topic, fact.state());
				this.truth.put(client, fact);
			}
		}
		awaitEveryViewEqualsTruth(Duration.ofSeconds(5));
	}

	private void thenEveryViewRecoversWithoutSpuriousLeaves(String what, long start) {
		awaitEveryViewEqualsTruth(RECOVERY);
		System.out.println("MEASURED " + what + " -> Redis refilled and every view equal to the live connections: "
				+ (System.nanoTime() - start) / 1_000_000 + " ms");
		// past the node timeout, when presences nobody re-asserted would be dropped
		await().during(STABLE).atMost(STABLE.plusSeconds(5)).untilAsserted(this::assertEveryViewEqualsTruth);
		for (PhoenixSocket client : this.clients) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			assertThat(PresenceViews.left(client.view(this.topic))).as("presences " + client.name() + " saw leave")
				.isEmpty();
		}

		// and Redis works again: a change still reaches every client
		PhoenixSocket updater = this.clients.get(0);
		Fact updated = Fact.of(updater, 2);
		updater.track(this.topic, updated.state());
		this.truth.put(updater, updated);
		awaitEveryViewEqualsTruth(Duration.ofSeconds(5));
	}

	private void awaitEveryViewEqualsTruth(Duration within) {
		await().atMost(within).untilAsserted(this::assertEveryViewEqualsTruth);
	}

	private void assertEveryViewEqualsTruth() {
		List<String> expected = PresenceViews.facts(this.truth.values());
		Map<String, Fact> stored = inspector.entries(this.topic);
		assertThat(PresenceViews.facts(stored)).as("HGETALL presence:{" + this.topic + "}:e").isEqualTo(expected);
		for (ClusterNode node : List.of(a, b)) {
			assertThat(PresenceViews.ofService(node.presence(), this.topic))
				.as("PresenceService.list on " + node.id()).isEqualTo(stored);
		}
		for (PhoenixSocket client : liveClients()) {
			assertThat(PresenceViews.ofClient(client.view(this.topic))).as("state of " + client.name())
				.isEqualTo(stored);
		}
	}

	private PhoenixSocket connect(ClusterNode node, String name) {
		PhoenixSocket client = cluster.client(node, name);
		this.clients.add(client);
		return client;
	}

	private List<PhoenixSocket> liveClients() {
		return this.clients.stream().filter((client) -> !client.isClosed()).toList();
	}

}
