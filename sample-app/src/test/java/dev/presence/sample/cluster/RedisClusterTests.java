package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.PresenceView;
import dev.presence.test.RedisCluster;
import dev.presence.test.RedisServer;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes on a Redis Cluster (three masters, configured as Boot configures any cluster,
 * with {@code spring.data.redis.cluster.nodes}): topics whose slots live on every master
 * fan out between the nodes through sharded pub/sub.
 */
class RedisClusterTests {

	private static final int MASTERS = 3;

	private static final int TOPICS_PER_MASTER = 2;

	private static final Duration WITHIN = Duration.ofSeconds(5);

	@RegisterExtension
	static final PresenceCluster cluster = new PresenceCluster();

	private static RedisCluster redis;

	private static RedisInspector inspector;

	private static ClusterNode a;

	private static ClusterNode b;

	@BeforeAll
	static void startClusterAndNodes() {
		redis = cluster.redis(RedisCluster.start(MASTERS));
		a = cluster.node("a");
		b = cluster.node("b");
		inspector = cluster.inspector();
	}

	@Test
	void presenceFansOutBetweenNodesOnTopicsSpreadOverEveryMaster() {
		// given: topics whose hash slots are served by each of the masters
		Map<String, String> masterOfTopic = topicsOnEveryMaster();
		assertThat(Set.copyOf(masterOfTopic.values())).hasSize(MASTERS);
		List<String> topics = List.copyOf(masterOfTopic.keySet());
		Map<String, PresenceView> watchers = new LinkedHashMap<>();
		Map<String, PhoenixSocket> trackers = new LinkedHashMap<>();
		for (String topic : topics) {
			PhoenixSocket watcher = cluster.client(a, "watcher-" + topic);
			PhoenixSocket tracker = cluster.client(b, "tracker-" + topic);
			watchers.put(topic, watcher.join(topic, "watcher"));
			tracker.join(topic, "tracker");
			trackers.put(topic, tracker);
		}
		await().atMost(WITHIN).until(() -> watchers.values().stream().allMatch(PresenceView::synced));

		// when: a client of b tracks, then updates, in every topic
		long start = System.nanoTime();
		trackers.forEach((topic, tracker) -> tracker.track(topic, Map.of("topic", topic, "v", 1)));

		// then: a's clients and both nodes see it, and it lives on the topic's master
		await().atMost(WITHIN).untilAsserted(() -> watchers.forEach((topic, seen) -> assertThat(
				PresenceViews.facts(PresenceViews.ofClient(seen)))
			.as(topic)
			.containsExactly("tracker={topic=" + topic + ", v=1}")));
		System.out.println("MEASURED cluster fan-out of " + topics.size() + " topics on " + MASTERS
				+ " masters (tracks on b -> seen on a): " + (System.nanoTime() - start) / 1_000_000 + " ms");
		trackers.forEach((topic, tracker) -> tracker.track(topic, Map.of("topic", topic, "v", 2)));
		await().atMost(WITHIN).untilAsserted(() -> {
			for (String topic : topics) {
				Map<String, Fact> client = PresenceViews.ofClient(watchers.get(topic));
				assertThat(PresenceViews.facts(client)).as(topic)
					.containsExactly("tracker={topic=" + topic + ", v=2}");
				assertThat(PresenceViews.ofService(a.presence(), topic)).as("list on a").isEqualTo(client);
				assertThat(PresenceViews.ofService(b.presence(), topic)).as("list on b").isEqualTo(client);
				assertThat(inspector.entries(topic))
					.as("HGETALL on the cluster")
					.isEqualTo(client);
			}
		});
		for (String topic : topics) {
			List<JsonNode> metas = watchers.get(topic).metas().get("tracker");
			assertThat(metas).hasSize(1);
			assertThat(metas.get(0).has("phx_ref_prev")).isTrue();
		}

		// every master carries the sharded channels of its own topics
		for (String topic : topics) {
			String channel = "presence:{" + topic + "}:changes";
			String master = masterOfTopic.get(topic);
			RedisServer server = redis.nodes()
				.stream()
				.filter((node) -> (node.host() + ":" + node.port()).equals(master))
				.findFirst()
				.orElseThrow();
			assertThat(RedisInspector.cli(server, "PUBSUB", "SHARDNUMSUB", channel))
				.as("PUBSUB SHARDNUMSUB " + channel + " on " + master)
				.isEqualTo(channel + "\n2");
		}

		// and leaves cross back
		trackers.forEach((topic, tracker) -> tracker.untrack(topic));
		await().atMost(WITHIN).untilAsserted(() -> watchers.forEach((topic, seen) -> {
			assertThat(seen.metas()).as(topic).isEmpty();
			assertThat(a.presence().list(topic)).as(topic).isEmpty();
			assertThat(b.presence().list(topic)).as(topic).isEmpty();
		}));
	}

	private static Map<String, String> topicsOnEveryMaster() {
		Map<String, List<String>> byMaster = new TreeMap<>();
		for (RedisServer node : redis.nodes()) {
			byMaster.put(node.host() + ":" + node.port(), new ArrayList<>());
		}
		Map<String, String> masterOfTopic = new LinkedHashMap<>();
		String run = UUID.randomUUID().toString().substring(0, 8);
		for (int i = 0; masterOfTopic.size() < MASTERS * TOPICS_PER_MASTER && i < 10_000; i++) {
			String topic = "realtime:cluster-" + run + "-" + i;
			String address = inspector.masterOf("{" + topic + "}");
			List<String> ofMaster = byMaster.get(address);
			if (ofMaster != null && ofMaster.size() < TOPICS_PER_MASTER) {
				ofMaster.add(topic);
				masterOfTopic.put(topic, address);
			}
		}
		return masterOfTopic;
	}

}
