package dev.presence.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.TopicBroadcast;
import dev.presence.test.RedisCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link RedisPresenceStore} on a real Redis Cluster of three masters.
 */
class RedisPresenceStoreClusterTests {

	private static final Duration TIME_TO_LIVE = Duration.ofMinutes(2);

	private static final Duration HEARTBEAT = Duration.ofMillis(500);

	private static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration TIMEOUT = Duration.ofSeconds(15);

	private static RedisCluster cluster;

	private static RedisClusterClient client;

	@BeforeAll
	static void startCluster() {
		cluster = RedisCluster.start(3);
		client = RedisClusterClient.create(cluster.uris());
	}

	@AfterAll
	static void stopCluster() {
		client.shutdown();
		cluster.close();
	}

	@Test
	void clusterFanOutUsesShardedPubSub() {
		Map<RedisURI, String> topicByMaster = topicOnEveryMaster();
		RedisPresenceStore writer = started("node-a");
		RedisPresenceStore reader = started("node-b");
		try {
			Map<String, RecordingListener> listeners = subscribed(reader, topicByMaster.values());
			Map<String, PresenceEntry> entries = new LinkedHashMap<>();
			for (String topic : topicByMaster.values()) {
				PresenceEntry entry = new PresenceEntry("alice", new Presence("ref-" + topic, null,
						Map.of("topic", topic)), "node-a");
				entries.put(topic, entry);
				join(writer.put(topic, entry, null));
			}

			for (String topic : topicByMaster.values()) {
				RecordingListener listener = listeners.get(topic);
				await().atMost(TIMEOUT).until(() -> listener.changes.size() == 1);
				PresenceChange change = listener.changes.get(0);
				assertThat(change.joins()).containsExactly(entries.get(topic));
				assertThat(change.epoch()).isNotEmpty();
				assertThat(change.sequence()).isOne();
				assertThat(change.origin()).isEqualTo("node-a");
				assertThat(join(reader.snapshot(topic)))
					.isEqualTo(new PresenceSnapshot(topic, change.epoch(), 1, List.of(entries.get(topic))));
			}
			topicByMaster.forEach((master, topic) -> {
				// the subscription lives on the master of the topic's slot, as sharded pub/sub does
				Map<String, Long> subscribers = onNode(master,
						(connection) -> connection.sync().pubsubShardNumsub(TopicKeys.of(topic).channel()));
				assertThat(subscribers).containsEntry(TopicKeys.of(topic).channel(), 1L);
			});
		}
		finally {
			reader.stop();
			writer.stop();
		}
	}

	@Test
	void broadcastsReachSubscribersOnEveryMaster() {
		Map<RedisURI, String> topicByMaster = topicOnEveryMaster();
		RedisPresenceStore writer = started("node-a");
		RedisPresenceStore reader = started("node-b");
		try {
			Map<String, RecordingListener> listeners = subscribed(reader, topicByMaster.values());
			for (String topic : topicByMaster.values()) {
				for (int i = 0; i < 3; i++) {
					join(writer.broadcast(new TopicBroadcast(topic, "n", BroadcastPayload.of(i), "node-a", null)));
				}
			}
			listeners.forEach((topic, listener) -> {
				await().atMost(TIMEOUT).until(() -> listener.broadcasts.size() == 3);
				assertThat(listener.broadcasts).extracting((broadcast) -> broadcast.payload().json())
					.containsExactly("0", "1", "2");
			});
		}
		finally {
			reader.stop();
			writer.stop();
		}
	}

	private static RedisPresenceStore started(String node) {
		RedisPresenceStore store = new RedisPresenceStore(client, node, TIME_TO_LIVE, HEARTBEAT, NODE_TIMEOUT);
		store.start();
		return store;
	}

	/**
	 * A listener subscribed to each topic, by topic.
	 */
	private static Map<String, RecordingListener> subscribed(RedisPresenceStore store, Collection<String> topics) {
		Map<String, RecordingListener> listeners = new LinkedHashMap<>();
		for (String topic : topics) {
			RecordingListener listener = new RecordingListener();
			join(store.subscribe(topic, listener));
			listeners.put(topic, listener);
		}
		return listeners;
	}

	/**
	 * A topic whose slot each master serves.
	 */
	private static Map<RedisURI, String> topicOnEveryMaster() {
		client.refreshPartitions();
		Map<RedisURI, String> topicByMaster = new LinkedHashMap<>();
		List<RedisClusterNode> masters = new ArrayList<>(client.getPartitions().getPartitions());
		for (int i = 0; topicByMaster.size() < masters.size() && i < 1000; i++) {
			String topic = "room-" + UUID.randomUUID();
			int slot = SlotHash.getSlot(TopicKeys.of(topic).entries());
			RedisClusterNode owner = client.getPartitions().getPartitionBySlot(slot);
			topicByMaster.putIfAbsent(owner.getUri(), topic);
		}
		assertThat(topicByMaster).hasSize(3);
		return topicByMaster;
	}

	private static <T> T onNode(RedisURI uri, Function<StatefulRedisConnection<String, String>, T> action) {
		RedisClient nodeClient = RedisClient.create(uri);
		try (StatefulRedisConnection<String, String> connection = nodeClient.connect()) {
			return action.apply(connection);
		}
		finally {
			nodeClient.shutdown();
		}
	}

	private static <T> T join(CompletableFuture<T> future) {
		try {
			return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
