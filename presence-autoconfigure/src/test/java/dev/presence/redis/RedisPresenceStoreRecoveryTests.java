package dev.presence.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for how {@link RedisPresenceStore} nodes keep "many nodes, one truth" when Redis
 * loses data and when nodes die: several stores in one JVM are several nodes, against a
 * real {@code redis-server} of each test's own.
 */
class RedisPresenceStoreRecoveryTests {

	private static final Duration TIME_TO_LIVE = Duration.ofMinutes(2);

	private static final Duration HEARTBEAT = Duration.ofMillis(200);

	private static final Duration NODE_TIMEOUT = Duration.ofSeconds(1);

	private static final Duration TIMEOUT = Duration.ofSeconds(15);

	private final String topic = "room-" + UUID.randomUUID();

	private final String otherTopic = this.topic + "-other";

	private final List<RedisPresenceStore> stores = new ArrayList<>();

	private RedisServer server;

	private RedisClient client;

	private StatefulRedisConnection<String, String> adminConnection;

	private RedisCommands<String, String> redis;

	@BeforeEach
	void startRedis() {
		this.server = RedisServer.start();
		this.client = RedisClient.create(this.server.uri());
		this.adminConnection = this.client.connect();
		this.redis = this.adminConnection.sync();
	}

	@AfterEach
	void stopStoresAndRedis() {
		this.stores.forEach(RedisPresenceStore::stop);
		this.adminConnection.close();
		this.client.shutdown();
		this.server.close();
	}

	@Test
	void nodeReassertsItsPresencesAfterFlushAll() {
		RedisPresenceStore node = start("node-a", HEARTBEAT, NODE_TIMEOUT);
		RedisPresenceStore observer = start("node-b", HEARTBEAT, NODE_TIMEOUT);
		RecordingListener listener = subscribe(observer, this.topic);
		PresenceEntry alice = entry("alice", "ref-a", "node-a");
		PresenceEntry bob = entry("bob", "ref-b", "node-a");
		PresenceEntry carol = entry("carol", "ref-c", "node-a");
		join(node.put(this.topic, alice, null));
		join(node.put(this.topic, bob, null));
		join(node.put(this.otherTopic, carol, null));
		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 2);
		String epoch = listener.changes.get(0).epoch();

		long flushed = System.nanoTime();
		this.server.flushAll();

		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat(join(observer.snapshot(this.topic)).entries()).containsExactlyInAnyOrder(alice, bob);
			assertThat(join(observer.snapshot(this.otherTopic)).entries()).containsExactly(carol);
		});
		System.out.println("FLUSHALL -> re-asserted in " + millisSince(flushed) + "ms (heartbeat "
				+ HEARTBEAT.toMillis() + "ms)");
		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 3);
		PresenceChange reasserted = listener.changes.get(2);
		assertThat(reasserted.epoch()).isNotEmpty().isNotEqualTo(epoch);
		assertThat(reasserted.sequence()).isEqualTo(1);
		assertThat(reasserted.origin()).isEqualTo("node-a");
		assertThat(reasserted.joins()).containsExactlyInAnyOrder(alice, bob);
		assertThat(reasserted.leaves()).isEmpty();
		assertThat(this.redis.smembers(TopicKeys.nodeTopics("node-a"))).containsExactlyInAnyOrder(this.topic,
				this.otherTopic);
	}

	@Test
	void nodeReassertsAfterRedisRestart() {
		RedisPresenceStore node = start("node-a", HEARTBEAT, NODE_TIMEOUT);
		PresenceEntry alice = entry("alice", "ref-a", "node-a");
		join(node.put(this.topic, alice, null));

		long killed = System.nanoTime();
		this.server.kill();
		this.server.restart();

		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.redis.hgetall(TopicKeys.of(this.topic).entries()))
				.containsOnlyKeys("ref-a"));
		System.out.println("Redis restart -> re-asserted in " + millisSince(killed) + "ms");
		assertThat(join(node.snapshot(this.topic)).entries()).containsExactly(alice);
		// and the next heartbeat puts the node back
		await().atMost(TIMEOUT).until(() -> this.redis.zscore(RedisPresenceStore.NODES_KEY, "node-a") != null);
		assertThat(this.redis.smembers(TopicKeys.nodeTopics("node-a"))).containsExactly(this.topic);
	}

	@Test
	void deadNodeIsReapedOnceWithOneLeavePerPresence() {
		Duration heartbeat = Duration.ofMillis(500);
		Duration nodeTimeout = Duration.ofSeconds(3);
		RedisPresenceStore dead = start("node-dead", heartbeat, nodeTimeout);
		RedisPresenceStore survivor1 = start("node-s1", heartbeat, nodeTimeout);
		RedisPresenceStore survivor2 = start("node-s2", heartbeat, nodeTimeout);
		RecordingListener listener = subscribe(survivor1, this.topic);
		RecordingListener otherListener = subscribe(survivor2, this.otherTopic);
		PresenceEntry alice = entry("alice", "ref-a", "node-dead");
		PresenceEntry bob = entry("bob", "ref-b", "node-dead");
		PresenceEntry carol = entry("carol", "ref-c", "node-dead");
		PresenceEntry dave = entry("dave", "ref-d", "node-s1");
		join(dead.put(this.topic, alice, null));
		join(dead.put(this.topic, bob, null));
		join(dead.put(this.otherTopic, carol, null));
		join(survivor1.put(this.topic, dave, null));

		long died = System.nanoTime();
		dead.halt();

		await().atMost(TIMEOUT).until(() -> listener.leaves().size() == 2 && otherListener.leaves().size() == 1);
		System.out.println("Node death -> leaves published in " + millisSince(died) + "ms (heartbeat "
				+ heartbeat.toMillis() + "ms, node timeout " + nodeTimeout.toMillis() + "ms)");
		// both survivors keep beating and looking for dead nodes: no leave comes twice
		await().during(heartbeat.multipliedBy(4))
			.atMost(TIMEOUT)
			.until(() -> listener.leaves().size() == 2 && otherListener.leaves().size() == 1);
		assertThat(listener.leaves()).containsExactlyInAnyOrder(alice, bob);
		assertThat(otherListener.leaves()).containsExactly(carol);
		String reaper = this.redis.get(TopicKeys.reapClaim("node-dead"));
		assertThat(reaper).isIn("node-s1", "node-s2");
		assertThat(listener.changes).filteredOn((change) -> !change.leaves().isEmpty())
			.extracting(PresenceChange::origin)
			.containsOnly(reaper);
		assertThat(otherListener.changes).filteredOn((change) -> !change.leaves().isEmpty())
			.extracting(PresenceChange::origin)
			.containsOnly(reaper);
		assertThat(join(survivor2.snapshot(this.topic)).entries()).containsExactly(dave);
		assertThat(this.redis.zscore(RedisPresenceStore.NODES_KEY, "node-dead")).isNull();
		assertThat(this.redis.exists(TopicKeys.nodeTopics("node-dead"))).isZero();
	}

	@Test
	void reapingAgainAfterAReaperDiedHalfwayDoublesNoLeave() {
		RedisPresenceStore dead = start("node-dead", HEARTBEAT, NODE_TIMEOUT);
		RedisPresenceStore survivor = start("node-s1", HEARTBEAT, NODE_TIMEOUT);
		RecordingListener listener = subscribe(survivor, this.topic);
		join(dead.put(this.topic, entry("alice", "ref-a", "node-dead"), null));
		join(dead.put(this.otherTopic, entry("bob", "ref-b", "node-dead"), null));
		dead.halt();
		// a reaper that claimed the node, reaped one topic and died
		this.redis.set(TopicKeys.reapClaim("node-dead"), "node-gone");
		this.redis.pexpire(TopicKeys.reapClaim("node-dead"), NODE_TIMEOUT.multipliedBy(3).toMillis());
		Long reaped = join(RedisScript.load("reap").eval(this.adminConnection.async(), ScriptOutputType.INTEGER,
				TopicKeys.of(this.topic).scriptKeys(), "node-gone", "120000", "e", "node-dead"));
		assertThat(reaped).isEqualTo(1);

		await().atMost(TIMEOUT).until(() -> this.redis.zscore(RedisPresenceStore.NODES_KEY, "node-dead") == null);
		assertThat(join(survivor.snapshot(this.otherTopic)).entries()).isEmpty();
		await().during(HEARTBEAT.multipliedBy(3)).atMost(TIMEOUT).until(() -> listener.leaves().size() == 1);
		assertThat(listener.changes).filteredOn((change) -> !change.leaves().isEmpty())
			.singleElement()
			.satisfies((change) -> assertThat(change.origin()).isEqualTo("node-gone"));
	}

	@Test
	void reapedNodeThatComesBackReassertsItsPresences() {
		RedisPresenceStore frozen = start("node-frozen", HEARTBEAT, NODE_TIMEOUT);
		RedisPresenceStore survivor = start("node-s1", HEARTBEAT, NODE_TIMEOUT);
		RecordingListener listener = subscribe(survivor, this.topic);
		PresenceEntry alice = entry("alice", "ref-a", "node-frozen");
		join(frozen.put(this.topic, alice, null));

		frozen.pauseHeartbeat(true);
		await().atMost(TIMEOUT).until(() -> listener.leaves().size() == 1);
		assertThat(this.redis.zscore(RedisPresenceStore.NODES_KEY, "node-frozen")).isNull();
		frozen.pauseHeartbeat(false);

		await().atMost(TIMEOUT).untilAsserted(() -> assertThat(join(survivor.snapshot(this.topic)).entries())
			.containsExactly(alice));
		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 3);
		assertThat(listener.changes.get(2).joins()).containsExactly(alice);
		assertThat(listener.changes.get(2).origin()).isEqualTo("node-frozen");
		assertThat(this.redis.smembers(TopicKeys.nodeTopics("node-frozen"))).containsExactly(this.topic);
	}

	@Test
	void topicThatWentBackInAFailoverIsRenewedAndItsOwnerPutsBackWhatWasLost() {
		RedisPresenceStore node = start("node-a", HEARTBEAT, NODE_TIMEOUT);
		RedisPresenceStore observer = start("node-b", HEARTBEAT, NODE_TIMEOUT);
		subscribe(node, this.topic);
		RecordingListener listener = subscribe(observer, this.topic);
		PresenceEntry alice = entry("alice", "ref-a", "node-a");
		PresenceEntry carol = entry("carol", "ref-c", "node-a");
		TopicKeys keys = TopicKeys.of(this.topic);
		join(node.put(this.topic, alice, null));
		// what a replica holds when its master dies right after the next two changes
		Map<String, String> replicatedEntries = this.redis.hgetall(keys.entries());
		Map<String, String> replicatedHistory = this.redis.hgetall(keys.sequence());
		join(node.put(this.topic, carol, null));
		join(node.remove(this.topic, "ref-a"));
		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 3);
		String epoch = listener.changes.get(2).epoch();

		// when: the promoted replica misses both acknowledged changes
		this.redis.del(keys.entries(), keys.sequence());
		this.redis.hset(keys.entries(), replicatedEntries);
		this.redis.hset(keys.sequence(), replicatedHistory);
		assertThat(this.redis.hget(keys.sequence(), "epoch")).isEqualTo(epoch);

		// then: the history is renewed, and the owner puts back carol and takes alice away again
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
			assertThat(join(observer.snapshot(this.topic)).entries()).containsExactly(carol);
			assertThat(this.redis.hget(keys.sequence(), "epoch")).isNotEqualTo(epoch);
		});
		List<PresenceChange> after = listener.changes.subList(3, listener.changes.size());
		assertThat(after).allSatisfy((change) -> assertThat(change.epoch()).isNotEqualTo(epoch));
		assertThat(after.stream().flatMap((change) -> change.joins().stream())).containsExactly(carol);
		assertThat(after.stream().flatMap((change) -> change.leaves().stream())).containsExactly(alice);
	}

	private RedisPresenceStore start(String nodeId, Duration heartbeat, Duration nodeTimeout) {
		RedisPresenceStore store = new RedisPresenceStore(this.client, nodeId, TIME_TO_LIVE, heartbeat, nodeTimeout);
		store.start();
		this.stores.add(store);
		return store;
	}

	private static RecordingListener subscribe(RedisPresenceStore store, String topic) {
		RecordingListener listener = new RecordingListener();
		join(store.subscribe(topic, listener));
		return listener;
	}

	private static PresenceEntry entry(String key, String ref, String node) {
		return new PresenceEntry(key, new Presence(ref, null, Map.of("key", key)), node);
	}

	private static long millisSince(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
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
