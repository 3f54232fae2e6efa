package dev.presence.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.TopicBroadcast;
import dev.presence.store.PresenceSnapshot;
import dev.presence.test.LatencyProxy;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link RedisPresenceStore} against a real {@code redis-server}.
 */
class RedisPresenceStoreTests {

	private static final String NODE = "node-1";

	private static final Duration TIME_TO_LIVE = Duration.ofHours(3);

	/**
	 * Long enough that no scheduled beat falls inside a test but the one at start.
	 */
	private static final Duration HEARTBEAT = Duration.ofHours(1);

	private static final Duration NODE_TIMEOUT = Duration.ofHours(2);

	private static final Duration TIMEOUT = Duration.ofSeconds(10);

	private static RedisServer server;

	private static RedisClient client;

	private static StatefulRedisConnection<String, String> adminConnection;

	private static RedisCommands<String, String> redis;

	private static RedisPresenceStore store;

	private final String topic = "room-" + UUID.randomUUID();

	private final TopicKeys keys = TopicKeys.of(this.topic);

	@BeforeAll
	static void startRedisAndStore() {
		server = RedisServer.start();
		client = RedisClient.create(server.uri());
		adminConnection = client.connect();
		redis = adminConnection.sync();
		store = new RedisPresenceStore(client, NODE, TIME_TO_LIVE, HEARTBEAT, NODE_TIMEOUT);
		store.start();
	}

	@AfterAll
	static void stopStoreAndRedis() {
		store.stop();
		adminConnection.close();
		client.shutdown();
		server.close();
	}

	@Test
	void putPublishesOneChangeWithNextSequence() {
		RecordingListener listener = subscribe(this.topic);
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of("status", "online"));
		PresenceEntry bob = entry("bob", "ref-b", null, Map.of("status", "away"));

		join(store.put(this.topic, alice, null));
		join(store.put(this.topic, bob, null));

		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 2);
		assertThat(listener.changes).containsExactly(
				change(1, List.of(alice), List.of()),
				change(2, List.of(bob), List.of()));
	}

	@Test
	void updateReplacesEntryAndPublishesJoinAndLeaveInOneChange() {
		RecordingListener listener = subscribe(this.topic);
		PresenceEntry before = entry("alice", "ref-1", null, Map.of("status", "online"));
		PresenceEntry after = entry("alice", "ref-2", "ref-1", Map.of("status", "away"));
		join(store.put(this.topic, before, null));

		join(store.put(this.topic, after, "ref-1"));

		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 2);
		assertThat(listener.changes.get(1))
			.isEqualTo(change(2, List.of(after), List.of(before)));
		assertThat(join(store.snapshot(this.topic))).isEqualTo(new PresenceSnapshot(this.topic, epoch(), 2, List.of(after)));
	}

	@Test
	void updateOfAnEntryThatIsGonePublishesOnlyTheJoin() {
		RecordingListener listener = subscribe(this.topic);
		PresenceEntry after = entry("alice", "ref-2", "ref-1", Map.of());

		join(store.put(this.topic, after, "ref-1"));

		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 1);
		assertThat(listener.changes.get(0)).isEqualTo(change(1, List.of(after), List.of()));
	}

	@Test
	void removePublishesTheLeave() {
		RecordingListener listener = subscribe(this.topic);
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of("status", "online"));
		join(store.put(this.topic, alice, null));

		join(store.remove(this.topic, "ref-a"));

		await().atMost(TIMEOUT).until(() -> listener.changes.size() == 2);
		assertThat(listener.changes.get(1)).isEqualTo(change(2, List.of(), List.of(alice)));
		assertThat(join(store.snapshot(this.topic))).isEqualTo(new PresenceSnapshot(this.topic, epoch(), 2, List.of()));
	}

	@Test
	void removeOfUnknownRefPublishesNothing() {
		RecordingListener listener = subscribe(this.topic);
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of());

		join(store.remove(this.topic, "ref-unknown"));
		assertThat(redis.exists(this.keys.sequence())).isZero();
		join(store.put(this.topic, alice, null));

		// pub/sub keeps order: a change of the remove would have arrived first
		await().atMost(TIMEOUT).until(() -> !listener.changes.isEmpty());
		assertThat(listener.changes).containsExactly(change(1, List.of(alice), List.of()));
	}

	@Test
	void snapshotReturnsEntriesWithTheirSequence() {
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of("n", 1));
		PresenceEntry bob = entry("bob", "ref-b", null, Map.of("n", 2));
		PresenceEntry carol = entry("carol", "ref-c", null, Map.of("n", 3));
		join(store.put(this.topic, alice, null));
		join(store.put(this.topic, bob, null));
		join(store.put(this.topic, carol, null));
		join(store.remove(this.topic, "ref-b"));

		PresenceSnapshot snapshot = join(store.snapshot(this.topic));

		assertThat(snapshot.topic()).isEqualTo(this.topic);
		assertThat(snapshot.sequence()).isEqualTo(4);
		assertThat(snapshot.entries()).containsExactlyInAnyOrder(alice, carol);
	}

	@Test
	void snapshotOfAnUnknownTopicIsEmptyAtSequenceZero() {
		assertThat(join(store.snapshot(this.topic))).isEqualTo(new PresenceSnapshot(this.topic, "", 0, List.of()));
	}

	@Test
	void stateRoundTripsUnchanged() {
		RecordingListener listener = subscribe(this.topic);
		Map<String, @Nullable Object> state = new LinkedHashMap<>();
		state.put("name", "Zoë — 日本語 🎉");
		state.put("escapes", "quote \" backslash \\ slash / newline \n tab \t");
		state.put("int", 42);
		state.put("long", 12345678901234L);
		state.put("float", 1.5);
		state.put("small", 1.0E-7);
		state.put("negative", -0.25);
		state.put("yes", true);
		state.put("no", false);
		state.put("nothing", null);
		state.put("emptyObject", Map.of());
		state.put("emptyArray", List.of());
		state.put("nested",
				Map.of("list", Arrays.asList(1, "two", null, true, Map.of("x", -3.75)), "ключ", "значение"));
		PresenceEntry entry = entry("user/ü", "ref-ü", "ref-previous", state);

		join(store.put(this.topic, entry, null));

		assertThat(join(store.snapshot(this.topic)).entries()).singleElement().satisfies((stored) -> {
			assertThat(stored).isEqualTo(entry);
			assertThat(stored.presence().state()).containsExactlyEntriesOf(state);
		});
		await().atMost(TIMEOUT).until(() -> !listener.changes.isEmpty());
		assertThat(listener.changes.get(0).joins()).containsExactly(entry);
	}

	@Test
	void putIsOneRoundTrip() {
		PresenceEntry before = entry("alice", "ref-1", null, Map.of());
		PresenceEntry after = entry("alice", "ref-2", "ref-1", Map.of("status", "away"));
		join(store.put(this.topic, before, null));

		try (Monitor monitor = Monitor.start(server)) {
			redis.echo("begin " + this.topic);
			join(store.put(this.topic, after, "ref-1"));
			redis.echo("end " + this.topic);

			List<MonitoredCommand> commands = monitor.commandsUntil("end " + this.topic);
			// only this topic's commands: a store of an earlier test may still be finishing
			// work of its own (a retried reconcile) on the same Redis
			List<MonitoredCommand> store = commands
				.subList(indexOfEcho(commands, "begin " + this.topic) + 1, commands.size() - 1)
				.stream()
				.filter((command) -> command.line().contains(this.topic))
				.toList();
			assertThat(store).filteredOn((command) -> !command.fromLua())
				.extracting(MonitoredCommand::name)
				.containsExactly("EVALSHA");
			assertThat(store).filteredOn(MonitoredCommand::fromLua)
				.extracting(MonitoredCommand::name)
				.containsExactly("HGET", "HDEL", "HSET", "HGET", "HINCRBY", "SPUBLISH", "PEXPIRE", "PEXPIRE");
		}
	}

	@Test
	void keysHaveTimeToLive() {
		join(store.put(this.topic, entry("alice", "ref-a", null, Map.of()), null));

		assertThat(redis.pttl(this.keys.entries())).isPositive().isLessThanOrEqualTo(TIME_TO_LIVE.toMillis());
		assertThat(redis.pttl(this.keys.sequence())).isPositive().isLessThanOrEqualTo(TIME_TO_LIVE.toMillis());
		assertThat(redis.pttl(RedisPresenceStore.NODES_KEY)).isPositive()
			.isLessThanOrEqualTo(TIME_TO_LIVE.toMillis());
		assertThat(redis.pttl(TopicKeys.nodeTopics(NODE))).isPositive().isLessThanOrEqualTo(TIME_TO_LIVE.toMillis());
		assertThat(redis.smembers(TopicKeys.nodeTopics(NODE))).contains(this.topic);
	}

	@Test
	void heartbeatRefreshesTimeToLive() {
		Duration timeToLive = TIME_TO_LIVE;
		RedisPresenceStore beating = new RedisPresenceStore(client, "node-beating", timeToLive, Duration.ofMillis(100),
				NODE_TIMEOUT);
		beating.start();
		try {
			join(beating.put(this.topic, entry("alice", "ref-a", null, Map.of()), null));
			redis.persist(this.keys.entries());
			redis.persist(this.keys.sequence());
			redis.zrem(RedisPresenceStore.NODES_KEY, "node-beating");

			await().atMost(TIMEOUT).untilAsserted(() -> {
				assertThat(redis.pttl(this.keys.entries())).isPositive().isLessThanOrEqualTo(timeToLive.toMillis());
				assertThat(redis.pttl(this.keys.sequence())).isPositive().isLessThanOrEqualTo(timeToLive.toMillis());
				assertThat(redis.zscore(RedisPresenceStore.NODES_KEY, "node-beating")).isNotNull();
			});
			assertThat(redis.pttl(RedisPresenceStore.NODES_KEY)).isPositive();
		}
		finally {
			beating.stop();
		}
	}

	@Test
	void heartbeatLeavesTopicsTheNodeNoLongerHoldsEntriesIn() {
		RedisPresenceStore beating = new RedisPresenceStore(client, "node-leaving", TIME_TO_LIVE,
				Duration.ofMillis(100), NODE_TIMEOUT);
		beating.start();
		try {
			join(beating.put(this.topic, entry("alice", "ref-1", null, Map.of()), null));
			join(beating.put(this.topic, entry("alice", "ref-2", "ref-1", Map.of()), "ref-1"));
			join(beating.remove(this.topic, "ref-2"));
			redis.persist(this.keys.sequence());
			Double before = redis.zscore(RedisPresenceStore.NODES_KEY, "node-leaving");

			// a beat writes the PEXPIREs of its topics before its ZADD
			await().atMost(TIMEOUT)
				.until(() -> redis.zscore(RedisPresenceStore.NODES_KEY, "node-leaving"), (score) -> score > before);
			assertThat(redis.pttl(this.keys.sequence())).isEqualTo(-1);
			assertThat(redis.smembers(TopicKeys.nodeTopics("node-leaving"))).doesNotContain(this.topic);
		}
		finally {
			beating.stop();
		}
	}

	@Test
	void subscriberIsToldToResyncAfterPubSubConnectionIsKilled() {
		RecordingListener listener = subscribe(this.topic);

		assertThat(killPubSubConnections()).isPositive();

		await().atMost(TIMEOUT).until(() -> listener.lost.get() == 1);
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of());
		join(store.put(this.topic, alice, null));
		await().atMost(TIMEOUT).until(() -> !listener.changes.isEmpty());
		assertThat(listener.changes).containsExactly(change(1, List.of(alice), List.of()));
		assertThat(listener.lost).hasValue(1);
	}

	@Test
	void scriptsSurviveRedisRestart() {
		try (RedisServer restarting = RedisServer.start()) {
			RedisClient restartingClient = RedisClient.create(restarting.uri());
			RedisPresenceStore restartingStore = new RedisPresenceStore(restartingClient, NODE, TIME_TO_LIVE,
					HEARTBEAT, NODE_TIMEOUT);
			restartingStore.start();
			try {
				RecordingListener listener = new RecordingListener();
				join(restartingStore.subscribe(this.topic, listener));
				PresenceEntry alice = entry("alice", "ref-a", null, Map.of());
				join(restartingStore.put(this.topic, alice, null));

				restarting.kill();
				restarting.restart();
				PresenceEntry bob = entry("bob", "ref-b", null, Map.of());
				join(restartingStore.put(this.topic, bob, null));

				// alice is re-asserted once the pub/sub connection is back
				await().atMost(TIMEOUT)
					.untilAsserted(() -> assertThat(join(restartingStore.snapshot(this.topic)).entries())
						.containsExactlyInAnyOrder(alice, bob));
				await().atMost(TIMEOUT).until(() -> listener.lost.get() == 1);
				try (StatefulRedisConnection<String, String> connection = restartingClient.connect()) {
					assertThat(connection.sync()
						.scriptExists(RedisScript.load("put").sha(), RedisScript.load("snapshot").sha(),
								RedisScript.load("reassert").sha()))
						.containsExactly(true, true, true);
				}
			}
			finally {
				restartingStore.stop();
				restartingClient.shutdown();
			}
		}
	}

	@Test
	void malformedMessageIsIgnored() {
		RecordingListener listener = subscribe(this.topic);
		redis.spublish(this.keys.channel(), "not json");
		redis.spublish(this.keys.channel(), "{\"e\":\"x\",\"s\":\"one\",\"o\":\"x\",\"j\":[],\"l\":[]}");
		redis.spublish(this.keys.channel(), "{\"s\":1,\"o\":\"x\",\"j\":[],\"l\":[]}");
		String entryWithoutState = "{\"r\":\"ref\",\"k\":\"k\",\"n\":\"n\"}";
		redis.spublish(this.keys.channel(),
				"{\"e\":\"x\",\"s\":1,\"o\":\"x\",\"j\":[" + entryWithoutState + "],\"l\":[]}");
		PresenceEntry alice = entry("alice", "ref-a", null, Map.of());

		join(store.put(this.topic, alice, null));

		await().atMost(TIMEOUT).until(() -> !listener.changes.isEmpty());
		assertThat(listener.changes).containsExactly(change(1, List.of(alice), List.of()));
	}

	@Test
	void broadcastReachesEverySubscriberInOrderWithoutTouchingTheSequence() {
		RedisPresenceStore other = new RedisPresenceStore(client, "node-2", TIME_TO_LIVE, HEARTBEAT, NODE_TIMEOUT);
		other.start();
		try {
			RecordingListener here = subscribe(this.topic);
			RecordingListener there = new RecordingListener();
			join(other.subscribe(this.topic, there));
			List<TopicBroadcast> sent = List.of(
					new TopicBroadcast(this.topic, "cursor", BroadcastPayload.of(Map.of("x", 1)), NODE, "sender-1"),
					new TopicBroadcast(this.topic, "a:b\n12:", BroadcastPayload.ofJson(
							"{\"text\":\"Zoë 🎉 \\u2028\"}".getBytes(StandardCharsets.UTF_8)), NODE, null),
					new TopicBroadcast(this.topic, "blob", BroadcastPayload.ofBinary(new byte[] { 0, -1, 7 }), NODE,
							null));
			// sent one after the other without waiting, as a connection sends them
			List<CompletableFuture<Void>> published = sent.stream().map(store::broadcast).toList();
			published.forEach(RedisPresenceStoreTests::join);

			await().atMost(TIMEOUT).until(() -> here.broadcasts.size() == 3 && there.broadcasts.size() == 3);
			assertThat(here.broadcasts).containsExactlyElementsOf(sent);
			assertThat(there.broadcasts).containsExactlyElementsOf(sent);
			// a broadcast is not a change: nothing stored, no sequence taken
			assertThat(here.changes).isEmpty();
			assertThat(join(store.snapshot(this.topic)).sequence()).isZero();
		}
		finally {
			other.stop();
		}
	}

	@Test
	void malformedBroadcastIsIgnored() {
		RecordingListener listener = subscribe(this.topic);
		redis.spublish(this.keys.channel(), "B");
		redis.spublish(this.keys.channel(), "B3:abc");
		redis.spublish(this.keys.channel(), "B1:n0:5:eventX{}");
		redis.spublish(this.keys.channel(), "B1:n0:99:e");
		TopicBroadcast good = new TopicBroadcast(this.topic, "e", BroadcastPayload.emptyObject(), NODE, null);
		join(store.broadcast(good));
		await().atMost(TIMEOUT).until(() -> !listener.broadcasts.isEmpty());
		assertThat(listener.broadcasts).containsExactly(good);
	}

	@Test
	void unsubscribedListenerReceivesNothing() {
		RecordingListener unsubscribed = subscribe(this.topic);
		join(store.unsubscribe(this.topic));
		join(store.put(this.topic, entry("alice", "ref-a", null, Map.of()), null));
		RecordingListener subscribed = subscribe(this.topic);

		join(store.put(this.topic, entry("bob", "ref-b", null, Map.of()), null));

		await().atMost(TIMEOUT).until(() -> !subscribed.changes.isEmpty());
		assertThat(subscribed.changes).extracting(PresenceChange::sequence).containsExactly(2L);
		assertThat(unsubscribed.changes).isEmpty();
	}

	@Test
	void failedCommandCompletesTheFutureExceptionally() {
		redis.set(this.keys.entries(), "not a hash");

		CompletableFuture<Void> put = store.put(this.topic, entry("alice", "ref-a", null, Map.of()), null);

		assertThat(put).failsWithin(TIMEOUT)
			.withThrowableOfType(ExecutionException.class)
			.withCauseInstanceOf(RedisCommandExecutionException.class)
			.withMessageContaining("WRONGTYPE");
	}

	@Test
	void changesCarryTheEpochAndANewEpochAfterFlush() {
		try (RedisServer flushed = RedisServer.start()) {
			RedisClient flushedClient = RedisClient.create(flushed.uri());
			RedisPresenceStore flushedStore = new RedisPresenceStore(flushedClient, NODE, TIME_TO_LIVE, HEARTBEAT,
					NODE_TIMEOUT);
			flushedStore.start();
			try {
				// the beat a store makes when it starts finds the node new to presence:nodes and
				// re-asserts what it owns: let it pass before owning anything, or the changes
				// counted below would include that re-assert's
				awaitFirstBeat(flushedClient, NODE);
				RecordingListener listener = new RecordingListener();
				join(flushedStore.subscribe(this.topic, listener));
				assertThat(join(flushedStore.snapshot(this.topic)))
					.isEqualTo(new PresenceSnapshot(this.topic, "", 0, List.of()));
				join(flushedStore.put(this.topic, entry("alice", "ref-a", null, Map.of()), null));
				join(flushedStore.put(this.topic, entry("bob", "ref-b", null, Map.of()), null));
				await().atMost(TIMEOUT).until(() -> listener.changes.size() == 2);
				String before = listener.changes.get(0).epoch();

				flushed.flushAll();
				join(flushedStore.remove(this.topic, "ref-a"));
				join(flushedStore.remove(this.topic, "ref-b"));
				PresenceEntry carol = entry("carol", "ref-c", null, Map.of());
				join(flushedStore.put(this.topic, carol, null));

				await().atMost(TIMEOUT).until(() -> listener.changes.size() == 3);
				assertThat(before).isNotEmpty();
				assertThat(listener.changes).extracting(PresenceChange::epoch, PresenceChange::sequence)
					.containsExactly(tuple(before, 1L), tuple(before, 2L),
							tuple(listener.changes.get(2).epoch(), 1L));
				assertThat(listener.changes.get(2).epoch()).isNotEmpty().isNotEqualTo(before);
				assertThat(join(flushedStore.snapshot(this.topic)))
					.isEqualTo(new PresenceSnapshot(this.topic, listener.changes.get(2).epoch(), 1, List.of(carol)));
			}
			finally {
				flushedStore.stop();
				flushedClient.shutdown();
			}
		}
	}

	@Test
	void gracefulStopRemovesOwnPresences() {
		RedisPresenceStore leaving = new RedisPresenceStore(client, "node-stopping", TIME_TO_LIVE, HEARTBEAT,
				NODE_TIMEOUT);
		leaving.start();
		String otherTopic = this.topic + "-other";
		RecordingListener listener = subscribe(this.topic);
		RecordingListener otherListener = subscribe(otherTopic);
		PresenceEntry alice = new PresenceEntry("alice", new Presence("ref-a", null, Map.of()), "node-stopping");
		PresenceEntry bob = new PresenceEntry("bob", new Presence("ref-b", null, Map.of()), "node-stopping");
		PresenceEntry carol = new PresenceEntry("carol", new Presence("ref-c", null, Map.of()), "node-stopping");
		join(leaving.put(this.topic, alice, null));
		join(leaving.put(this.topic, bob, null));
		join(leaving.put(otherTopic, carol, null));
		assertThat(redis.zscore(RedisPresenceStore.NODES_KEY, "node-stopping")).isNotNull();

		leaving.stop();

		assertThat(join(store.snapshot(this.topic)).entries()).isEmpty();
		assertThat(join(store.snapshot(otherTopic)).entries()).isEmpty();
		assertThat(redis.zscore(RedisPresenceStore.NODES_KEY, "node-stopping")).isNull();
		assertThat(redis.exists(TopicKeys.nodeTopics("node-stopping"))).isZero();
		await().atMost(TIMEOUT).until(() -> listener.leaves().size() == 2 && otherListener.leaves().size() == 1);
		assertThat(listener.changes.get(listener.changes.size() - 1).leaves()).containsExactlyInAnyOrder(alice, bob);
		assertThat(listener.changes.get(listener.changes.size() - 1).origin()).isEqualTo("node-stopping");
		assertThat(otherListener.leaves()).containsExactly(carol);
	}

	@Test
	void heartbeatIsConstantRoundTripsWhateverTheNumberOfTopics() {
		Duration latency = Duration.ofMillis(500);
		try (LatencyProxy proxy = LatencyProxy.start(server.host(), server.port(), latency)) {
			RedisClient slowClient = RedisClient.create(proxy.uri());
			RedisPresenceStore slow = new RedisPresenceStore(slowClient, "node-far", TIME_TO_LIVE, HEARTBEAT,
					NODE_TIMEOUT);
			slow.start();
			try {
				PresenceEntry first = new PresenceEntry("k", new Presence("ref-0", null, Map.of()), "node-far");
				join(slow.put(this.topic + "-0", first, null));
				// replies come in order: once this one is in, nothing else is in flight
				join(slow.snapshot(this.topic));
				proxy.takeRoundTrips();
				long oneTopicMillis = timeMillis(slow::beat);
				long oneTopic = proxy.takeRoundTrips();

				List<CompletableFuture<Void>> puts = new ArrayList<>();
				for (int i = 1; i < 1000; i++) {
					PresenceEntry entry = new PresenceEntry("k", new Presence("ref-" + i, null, Map.of()), "node-far");
					puts.add(slow.put(this.topic + "-" + i, entry, null));
				}
				puts.forEach(RedisPresenceStoreTests::join);
				join(slow.snapshot(this.topic));
				proxy.takeRoundTrips();
				long thousandTopicsMillis = timeMillis(slow::beat);
				long thousandTopics = proxy.takeRoundTrips();

				System.out.println("Heartbeat through a proxy adding " + latency.toMillis() + "ms: 1 topic "
						+ oneTopic + " round trip(s) in " + oneTopicMillis + "ms, 1000 topics " + thousandTopics
						+ " round trip(s) in " + thousandTopicsMillis + "ms");
				assertThat(oneTopic).isOne();
				assertThat(thousandTopics).isOne();
				assertThat(thousandTopicsMillis).isLessThan(4 * latency.toMillis());
				assertThat(redis.scard(TopicKeys.nodeTopics("node-far"))).isEqualTo(1000);
			}
			finally {
				slow.stop();
				slowClient.shutdown();
			}
		}
	}

	private static long timeMillis(Supplier<CompletableFuture<Void>> action) {
		long start = System.nanoTime();
		join(action.get());
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
	}

	@Test
	void timeToLiveMustBeComfortablyLongerThanTheHeartbeat() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisPresenceStore(client, NODE, Duration.ofSeconds(10), Duration.ofSeconds(5),
					Duration.ofSeconds(10)))
			.withMessageContaining("keyTimeToLive");
	}

	@Test
	void nodeTimeoutMustBeLongerThanTheHeartbeatAndShorterThanTheKeysTimeToLive() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisPresenceStore(client, NODE, Duration.ofMinutes(2), Duration.ofSeconds(2),
					Duration.ofSeconds(2)))
			.withMessageContaining("nodeTimeout");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisPresenceStore(client, NODE, Duration.ofSeconds(10), Duration.ofSeconds(2),
					Duration.ofSeconds(10)))
			.withMessageContaining("nodeTimeout");
	}

	private static RecordingListener subscribe(String topic) {
		RecordingListener listener = new RecordingListener();
		join(store.subscribe(topic, listener));
		return listener;
	}

	private PresenceChange change(long sequence, List<PresenceEntry> joins, List<PresenceEntry> leaves) {
		return new PresenceChange(this.topic, epoch(), sequence, NODE, joins, leaves);
	}

	/**
	 * The epoch of the test's topic, as Redis holds it.
	 */
	private String epoch() {
		String epoch = redis.hget(this.keys.sequence(), "epoch");
		assertThat(epoch).isNotEmpty();
		return epoch;
	}

	private static PresenceEntry entry(String key, String ref, @Nullable String previousRef,
			Map<String, @Nullable Object> state) {
		return new PresenceEntry(key, new Presence(ref, previousRef, state), NODE);
	}

	private static void awaitFirstBeat(RedisClient client, String node) {
		try (StatefulRedisConnection<String, String> connection = client.connect()) {
			await().atMost(TIMEOUT)
				.until(() -> connection.sync().zscore(RedisPresenceStore.NODES_KEY, node) != null);
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

	/**
	 * Kill every connection that holds a subscription ({@code CLIENT KILL TYPE pubsub}).
	 */
	private static long killPubSubConnections() {
		return redis.clientKill(KillArgs.Builder.typePubsub());
	}

	private static int indexOfEcho(List<MonitoredCommand> commands, String message) {
		for (int i = 0; i < commands.size(); i++) {
			if (commands.get(i).name().equals("ECHO") && commands.get(i).line().contains(message)) {
				return i;
			}
		}
		throw new IllegalStateException("No ECHO '" + message + "' in " + commands);
	}

	/**
	 * A command as {@code MONITOR} reports it.
	 */
	private record MonitoredCommand(String name, boolean fromLua, String line) {

		private static final Pattern LINE = Pattern.compile("^\\+?[\\d.]+ \\[\\d+ ([^\\]]+)\\] \"([^\"]+)\"");

		static MonitoredCommand parse(String line) {
			Matcher matcher = LINE.matcher(line);
			if (!matcher.find()) {
				throw new IllegalStateException("Unexpected MONITOR line: " + line);
			}
			return new MonitoredCommand(matcher.group(2).toUpperCase(Locale.ROOT), matcher.group(1).equals("lua"),
					line);
		}

	}

	/**
	 * A raw {@code MONITOR} connection: Lettuce has no API for it.
	 */
	private static final class Monitor implements AutoCloseable {

		private final Socket socket;

		private final BufferedReader reader;

		private Monitor(Socket socket) throws IOException {
			this.socket = socket;
			this.reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
		}

		static Monitor start(RedisServer server) {
			try {
				Socket socket = new Socket(server.host(), server.port());
				socket.setSoTimeout((int) TIMEOUT.toMillis());
				OutputStream out = socket.getOutputStream();
				out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
				out.flush();
				Monitor monitor = new Monitor(socket);
				String reply = monitor.reader.readLine();
				assertThat(reply).isEqualTo("+OK");
				return monitor;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		/**
		 * Read the commands Redis ran, up to and including {@code ECHO <message>}.
		 */
		List<MonitoredCommand> commandsUntil(String message) {
			List<MonitoredCommand> commands = new ArrayList<>();
			try {
				while (true) {
					String line = this.reader.readLine();
					if (line == null) {
						throw new IllegalStateException("MONITOR connection closed after " + commands);
					}
					MonitoredCommand command = MonitoredCommand.parse(line);
					commands.add(command);
					if (command.name().equals("ECHO") && line.contains("\"" + message + "\"")) {
						return commands;
					}
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		@Override
		public void close() {
			try {
				this.socket.close();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

}
