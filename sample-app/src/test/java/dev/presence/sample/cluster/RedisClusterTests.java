package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.presence.sample.cluster.PhoenixTestClient.ClientChannel;
import dev.presence.sample.cluster.PresenceViews.Fact;
import dev.presence.test.RedisCluster;
import dev.presence.test.RedisServer;

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

	private static RedisCluster redis;

	private static RedisClusterClient inspectorClient;

	private static StatefulRedisClusterConnection<String, String> inspector;

	private static ClusterNode a;

	private static ClusterNode b;

	@BeforeAll
	static void startClusterAndNodes() {
		redis = RedisCluster.start(MASTERS);
		String seeds = redis.nodes()
			.stream()
			.map((node) -> node.host() + ":" + node.port())
			.collect(Collectors.joining(","));
		List<String> properties = new ArrayList<>(ClusterNode.FAST);
		properties.add("spring.data.redis.cluster.nodes=" + seeds);
		a = ClusterNode.start("a", properties);
		b = ClusterNode.start("b", properties);
		inspectorClient = RedisClusterClient.create(redis.uris());
		inspector = inspectorClient.connect();
	}

	@AfterAll
	static void stop() {
		if (inspector != null) {
			inspector.close();
			inspectorClient.shutdown(0, 2, TimeUnit.SECONDS);
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

	@Test
	void presenceFansOutBetweenNodesOnTopicsSpreadOverEveryMaster() {
		// given: topics whose hash slots are served by each of the masters
		Map<String, String> masterOfTopic = topicsOnEveryMaster();
		assertThat(Set.copyOf(masterOfTopic.values())).hasSize(MASTERS);
		List<String> topics = List.copyOf(masterOfTopic.keySet());
		List<PhoenixTestClient> clients = new ArrayList<>();
		try {
			Map<String, ClientChannel> watchers = new LinkedHashMap<>();
			Map<String, PhoenixTestClient> trackers = new LinkedHashMap<>();
			for (String topic : topics) {
				PhoenixTestClient watcher = a.connect("watcher-" + topic);
				PhoenixTestClient tracker = b.connect("tracker-" + topic);
				clients.add(watcher);
				clients.add(tracker);
				watchers.put(topic, watcher.join(topic, "watcher"));
				tracker.join(topic, "tracker");
				trackers.put(topic, tracker);
			}
			await().atMost(WITHIN).until(() -> watchers.values().stream().allMatch(ClientChannel::synced));

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
					assertThat(RedisInspector.toFacts(inspector.sync().hgetall("presence:{" + topic + "}:e")))
						.as("HGETALL on the cluster")
						.isEqualTo(client);
				}
			});
			for (String topic : topics) {
				List<Map<String, Object>> metas = watchers.get(topic).state().get("tracker");
				assertThat(metas).hasSize(1);
				assertThat(metas.get(0)).containsKey("phx_ref_prev");
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
				assertThat(RedisInspector.cli(server.host(), server.port(), "PUBSUB", "SHARDNUMSUB", channel))
					.as("PUBSUB SHARDNUMSUB " + channel + " on " + master)
					.isEqualTo(channel + "\n2");
			}

			// and leaves cross back
			trackers.forEach((topic, tracker) -> tracker.untrack(topic));
			await().atMost(WITHIN).untilAsserted(() -> watchers.forEach((topic, seen) -> {
				assertThat(seen.state()).as(topic).isEmpty();
				assertThat(a.presence().list(topic)).as(topic).isEmpty();
				assertThat(b.presence().list(topic)).as(topic).isEmpty();
			}));
		}
		finally {
			clients.forEach(PhoenixTestClient::close);
		}
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
			RedisClusterNode master = inspector.getPartitions().getPartitionBySlot(SlotHash.getSlot("{" + topic + "}"));
			String address = master.getUri().getHost() + ":" + master.getUri().getPort();
			List<String> ofMaster = byMaster.get(address);
			if (ofMaster != null && ofMaster.size() < TOPICS_PER_MASTER) {
				ofMaster.add(topic);
				masterOfTopic.put(topic, address);
			}
		}
		return masterOfTopic;
	}

}
