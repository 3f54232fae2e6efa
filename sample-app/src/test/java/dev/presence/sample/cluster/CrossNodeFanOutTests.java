package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.sample.cluster.EventRecorder.Recorded;
import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Change;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PhoenixSocket.PresenceView;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes on one Redis: what a client of one node does is seen, exactly once and in
 * the protocol's shape, by the clients, the {@code PresenceService} and the event
 * listeners of the other.
 */
class CrossNodeFanOutTests {

	private static final Duration WITHIN = Duration.ofSeconds(5);

	@RegisterExtension
	static final PresenceCluster cluster = new PresenceCluster();

	private static ClusterNode a;

	private static ClusterNode b;

	@BeforeAll
	static void startNodes() {
		cluster.redis();
		a = cluster.node("a");
		b = cluster.node("b");
	}

	@Test
	void joinUpdateUntrackAndDisconnectOnOneNodeReachClientsAndServicesOfTheOther() {
		String topic = "realtime:fanout-" + UUID.randomUUID();
		try (PhoenixSocket watcher = a.connect("watcher"); PhoenixSocket bob = b.connect("bob")) {
			PresenceView seen = watcher.join(topic, "watcher");
			await().atMost(WITHIN).until(seen::synced);
			bob.join(topic, "bob");

			// join
			long start = System.nanoTime();
			trackAndAwaitSeen(bob, topic, 1, seen);
			System.out.println("MEASURED cross-node join (track on b -> diff on a's client): "
					+ (System.nanoTime() - start) / 1_000_000 + " ms");
			String firstRef = onlyRef(seen, "bob");
			assertEveryViewAgrees(topic, seen);

			// update: one diff holding the new meta in joins and the old one in leaves
			int framesBefore = watcher.received().size();
			trackAndAwaitSeen(bob, topic, 2, seen);
			List<JsonNode> diffs = diffsSince(watcher, topic, framesBefore);
			assertThat(diffs).hasSize(1);
			JsonNode diff = diffs.get(0).get(4);
			List<Map<String, Object>> joined = metas(diff, "joins", "bob");
			List<Map<String, Object>> left = metas(diff, "leaves", "bob");
			assertThat(joined).hasSize(1);
			assertThat(left).hasSize(1);
			assertThat(joined.get(0)).containsEntry("v", 2).containsEntry("phx_ref_prev", firstRef);
			assertThat(joined.get(0).get("phx_ref")).isNotNull().isNotEqualTo(firstRef);
			assertThat(left.get(0)).containsEntry("v", 1).containsEntry("phx_ref", firstRef);
			assertEveryViewAgrees(topic, seen);

			// untrack
			bob.untrack(topic);
			await().atMost(WITHIN).untilAsserted(() -> assertThat(factsOf(seen)).isEmpty());
			assertEveryViewAgrees(topic, seen);

			// disconnect
			trackAndAwaitSeen(bob, topic, 3, seen);
			assertEveryViewAgrees(topic, seen);
			start = System.nanoTime();
			bob.close();
			await().atMost(WITHIN).untilAsserted(() -> assertThat(factsOf(seen)).isEmpty());
			System.out.println("MEASURED cross-node leave (close on b -> diff on a's client): "
					+ (System.nanoTime() - start) / 1_000_000 + " ms");
			assertEveryViewAgrees(topic, seen);

			// the client saw each change once
			assertThat(seen.changes()).extracting((event) -> event.kind() + " " + event.key() + " " + event.meta().get("v"))
				.containsExactly("join bob 1", "join bob 2", "leave bob 1", "leave bob 2", "join bob 3", "leave bob 3");
		}
	}

	@Test
	void everyChangeOfAConnectedClientIsAnOriginEventOnItsNodeOnlyAndTheSameEventOnTheOther() {
		String topic = "realtime:events-" + UUID.randomUUID();
		PresenceView seen = watchOnA(topic);
		PhoenixSocket bob = joinOnB(topic);
		// each change is let through before the next: re-tracks within the coalesce window are merged
		trackAndAwaitSeen(bob, topic, 1, seen);
		trackAndAwaitSeen(bob, topic, 2, seen);
		bob.untrack(topic);
		await().atMost(WITHIN).untilAsserted(() -> assertThat(factsOf(seen)).isEmpty());
		trackAndAwaitSeen(bob, topic, 3, seen);

		assertSameEventsWithOriginOnlyOnB(topic, List.of("join bob {v=1} first=true", "join bob {v=2} first=false",
				"leave bob {v=1} last=false", "leave bob {v=2} last=true", "join bob {v=3} first=true"));
	}

	@Test
	void disconnectOfTheLastMemberOfATopicOnANodeIsStillAnOriginEventOnThatNode() {
		String topic = "realtime:last-member-" + UUID.randomUUID();
		PresenceView seen = watchOnA(topic);
		PhoenixSocket bob = joinOnB(topic);
		trackAndAwaitSeen(bob, topic, 1, seen);

		// bob is b's only member of the topic: the node that made the change must still say so
		bob.close();
		await().atMost(WITHIN).untilAsserted(() -> assertThat(factsOf(seen)).isEmpty());

		assertSameEventsWithOriginOnlyOnB(topic,
				List.of("join bob {v=1} first=true", "leave bob {v=1} last=true"));
	}

	@Test
	void gracefullyStoppedNodeRemovesItsPresencesAtOnceWithOneLeaveEach() {
		String topic = "realtime:stopping-" + UUID.randomUUID();
		try (PhoenixSocket watcher = a.connect("watcher"); ClusterNode stopping = cluster.node("c")) {
			PresenceView seen = watcher.join(topic, "watcher");
			List<PhoenixSocket> leaving = new ArrayList<>();
			for (int i = 1; i <= 3; i++) {
				PhoenixSocket client = stopping.connect("leaving-" + i);
				leaving.add(client);
				client.join(topic, "leaving-" + i);
				client.track(topic, Map.of("n", i));
			}
			await().atMost(WITHIN).untilAsserted(() -> assertThat(factsOf(seen)).hasSize(3));
			Set<String> refs = PresenceViews.ofClient(seen).keySet();

			long start = System.nanoTime();
			stopping.close();

			// well before the node timeout (3s) could have reaped them
			await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(seen.metas()).isEmpty());
			System.out.println("MEASURED graceful stop of a node -> its presences left: "
					+ (System.nanoTime() - start) / 1_000_000 + " ms");
			await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
				assertThat(seen.changes().stream().filter((event) -> event.kind().equals("leave")))
					.extracting(Change::ref)
					.containsExactlyInAnyOrderElementsOf(refs);
				assertThat(a.presence().list(topic)).isEmpty();
				assertThat(b.presence().list(topic)).isEmpty();
			});
			assertThat(watcher.droppedByServer()).isFalse();
		}
	}

	private static void assertSameEventsWithOriginOnlyOnB(String topic, List<String> expected) {
		await().atMost(WITHIN).untilAsserted(() -> {
			assertThat(changes(a, topic)).as("events on a").containsExactlyElementsOf(expected);
			assertThat(changes(b, topic)).as("events on b").containsExactlyElementsOf(expected);
		});
		assertThat(a.events().of(topic)).as("origin flags on a").extracting(Recorded::origin).containsOnly(false);
		assertThat(b.events().of(topic)).as("origin flags on b").extracting(Recorded::origin).containsOnly(true);
		assertThat(a.events().of(topic)).extracting(Recorded::ref)
			.containsExactlyElementsOf(b.events().of(topic).stream().map(Recorded::ref).toList());
	}

	private static void assertEveryViewAgrees(String topic, PresenceView seen) {
		await().atMost(WITHIN).untilAsserted(() -> {
			Map<String, Fact> client = PresenceViews.ofClient(seen);
			assertThat(PresenceViews.ofService(a.presence(), topic)).as("PresenceService.list on a").isEqualTo(client);
			assertThat(PresenceViews.ofService(b.presence(), topic)).as("PresenceService.list on b").isEqualTo(client);
		});
	}

	/**
	 * A client of node a, joined to a topic as {@code watcher}, closed after the test.
	 * @return its view of the topic, once it has the first state
	 */
	private static PresenceView watchOnA(String topic) {
		PresenceView seen = cluster.client(a, "watcher").join(topic, "watcher");
		await().atMost(WITHIN).until(seen::synced);
		return seen;
	}

	/**
	 * A client of node b, joined to a topic as {@code bob}, closed after the test.
	 */
	private static PhoenixSocket joinOnB(String topic) {
		PhoenixSocket bob = cluster.client(b, "bob");
		bob.join(topic, "bob");
		return bob;
	}

	/**
	 * Have bob (joined with the key {@code bob}) track {@code {"v": version}}, and wait
	 * until the watcher's view shows it as the topic's only presence.
	 */
	private static void trackAndAwaitSeen(PhoenixSocket bob, String topic, int version, PresenceView seen) {
		bob.track(topic, Map.of("v", version));
		await().atMost(WITHIN)
			.untilAsserted(() -> assertThat(factsOf(seen)).containsExactly("bob={v=" + version + "}"));
	}

	private static List<String> factsOf(PresenceView channel) {
		return PresenceViews.facts(PresenceViews.ofClient(channel));
	}

	private static String onlyRef(PresenceView view, String key) {
		List<JsonNode> metas = view.metas().get(key);
		assertThat(metas).hasSize(1);
		return metas.get(0).get("phx_ref").asString();
	}

	private static List<JsonNode> diffsSince(PhoenixSocket client, String topic, int index) {
		List<JsonNode> frames = client.received();
		return frames.subList(index, frames.size())
			.stream()
			.filter(Frames.topic(topic).and(Frames.event("presence_diff")))
			.toList();
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> metas(JsonNode diff, String side, String key) {
		JsonNode byKey = diff.get(side);
		assertThat(byKey.propertyNames()).as(side).containsExactly(key);
		return PhoenixSocket.MAPPER.convertValue(byKey.get(key).get("metas"), List.class);
	}

	private static List<String> changes(ClusterNode node, String topic) {
		return node.events().of(topic).stream().map((event) -> {
			Map<String, Object> state = event.presence().state();
			return event.kind() + " " + event.key() + " " + state + " "
					+ (event.kind().equals("join") ? "first=" : "last=") + event.firstOrLast();
		}).toList();
	}

}
