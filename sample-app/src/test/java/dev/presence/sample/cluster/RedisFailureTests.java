package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.presence.redis.RedisPresenceStore;
import dev.presence.sample.cluster.PhoenixTestClient.ClientChannel;
import dev.presence.sample.cluster.PhoenixTestClient.ClientEvent;
import dev.presence.sample.cluster.PresenceViews.Fact;
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

	private static RedisServer redis;

	private static ClusterNode a;

	private static ClusterNode b;

	private static RedisInspector inspector;

	private final List<PhoenixTestClient> clients = new ArrayList<>();

	private final Map<PhoenixTestClient, Fact> truth = new LinkedHashMap<>();

	private String topic;

	@BeforeAll
	static void startNodes() {
		redis = RedisServer.start();
		a = ClusterNode.start("a", redis, ClusterNode.FAST);
		b = ClusterNode.start("b", redis, ClusterNode.FAST);
		inspector = new RedisInspector(redis);
	}

	@AfterAll
	static void stopNodes() {
		if (inspector != null) {
			inspector.close();
		}
		if (b != null) {
			b.close();
		}
		if (a != null) {
			a.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@AfterEach
	void closeClients() {
		this.clients.forEach(PhoenixTestClient::close);
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
				for (PhoenixTestClient client : this.clients) {
					assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason())
						.isFalse();
				}
			});
		}
		finally {
			redis.resume();
		}
		thenEveryViewRecoversWithoutSpuriousLeaves("Redis unreachable for " + UNREACHABLE.toSeconds() + " s", start);
		assertThat(inspector.cli("ZRANGE", RedisPresenceStore.NODES_KEY, "0", "-1").lines().sorted())
			.as("live nodes in " + RedisPresenceStore.NODES_KEY).containsExactly("a", "b");
	}

	@Test
	void killedPubSubConnectionsAreResubscribedAndChangesMadeMeanwhileAreNotLost() {
		givenTrackedClientsOnBothNodes("pubsub");
		PhoenixTestClient updater = this.clients.get(0);
		PhoenixTestClient leaver = this.clients.get(1);
		PhoenixTestClient untracker = this.clients.get(CLIENTS_PER_NODE);
		Set<Fact> expectedLeaves = Set.of(this.truth.get(updater), this.truth.get(leaver), this.truth.get(untracker));

		// when: every pub/sub connection is killed, and changes are made right away
		long start = System.nanoTime();
		String killed = inspector.cli("CLIENT", "KILL", "TYPE", "pubsub");
		System.out.println("CLIENT KILL TYPE pubsub answered " + killed);
		assertThat(Integer.parseInt(killed)).as("killed pub/sub connections, at least one per node")
			.isGreaterThanOrEqualTo(2);
		updater.track(this.topic, state(updater, 2));
		this.truth.put(updater, new Fact(key(updater), state(updater, 2)));
		leaver.close();
		this.truth.remove(leaver);
		untracker.untrack(this.topic);
		this.truth.remove(untracker);
		PhoenixTestClient newcomer = b.connect("pubsub-newcomer");
		this.clients.add(newcomer);
		newcomer.join(this.topic, key(newcomer));
		newcomer.track(this.topic, state(newcomer, 1));
		this.truth.put(newcomer, new Fact(key(newcomer), state(newcomer, 1)));

		// then
		awaitEveryViewEqualsTruth(RECOVERY);
		System.out.println("MEASURED pubsub killed -> every view converged: " + (System.nanoTime() - start) / 1_000_000
				+ " ms");
		await().during(STABLE).atMost(STABLE.plusSeconds(5)).untilAsserted(this::assertEveryViewEqualsTruth);
		for (PhoenixTestClient client : liveClients()) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			List<Fact> left = leftFacts(client);
			assertThat(new HashSet<>(left)).as("presences " + client.name() + " saw leave").isSubsetOf(expectedLeaves);
			assertThat(left).as("leaves seen by " + client.name()).doesNotHaveDuplicates();
		}
	}

	private void givenTrackedClientsOnBothNodes(String name) {
		this.topic = "realtime:" + name + "-" + UUID.randomUUID();
		for (ClusterNode node : List.of(a, b)) {
			for (int i = 0; i < CLIENTS_PER_NODE; i++) {
				PhoenixTestClient client = node.connect(name + "-" + node.id() + i);
				this.clients.add(client);
				client.join(this.topic, key(client));
				client.track(this.topic, state(client, 1));
				this.truth.put(client, new Fact(key(client), state(client, 1)));
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
		for (PhoenixTestClient client : this.clients) {
			assertThat(client.droppedByServer()).as(client.name() + " dropped: " + client.closeReason()).isFalse();
			assertThat(leftFacts(client)).as("presences " + client.name() + " saw leave").isEmpty();
		}

		// and Redis works again: a change still reaches every client
		PhoenixTestClient updater = this.clients.get(0);
		updater.track(this.topic, state(updater, 2));
		this.truth.put(updater, new Fact(key(updater), state(updater, 2)));
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
		for (PhoenixTestClient client : liveClients()) {
			assertThat(PresenceViews.ofClient(client.channel(this.topic))).as("state of " + client.name())
				.isEqualTo(stored);
		}
	}

	private List<PhoenixTestClient> liveClients() {
		return this.clients.stream().filter((client) -> !client.isClosed()).toList();
	}

	private List<Fact> leftFacts(PhoenixTestClient client) {
		ClientChannel channel = client.channel(this.topic);
		return channel.events()
			.stream()
			.filter((event) -> event.kind().equals("leave"))
			.map(RedisFailureTests::factOf)
			.collect(Collectors.toList());
	}

	private static Fact factOf(ClientEvent event) {
		Map<String, Object> state = new LinkedHashMap<>(event.meta());
		state.remove("phx_ref");
		state.remove("phx_ref_prev");
		return new Fact(event.key(), state);
	}

	private static String key(PhoenixTestClient client) {
		return "user-" + client.name();
	}

	private static Map<String, Object> state(PhoenixTestClient client, int version) {
		return Map.of("client", client.name(), "v", version);
	}

}
