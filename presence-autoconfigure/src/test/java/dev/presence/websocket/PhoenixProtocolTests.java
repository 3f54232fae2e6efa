package dev.presence.websocket;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceSyncEvent;
import dev.presence.core.TrackedPresence;
import dev.presence.test.PresencePort;
import org.awaitility.core.ConditionFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The WebSocket endpoint against real WebSocket clients sending raw Phoenix frames
 * (docs/protocol.md §1–§5), on a real server with the in-memory store.
 */
@SpringBootTest(classes = PhoenixProtocolTests.TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.max-state-size=1KB",
				"presence.limits.max-frame-size=64KB" })
class PhoenixProtocolTests {

	private static final JsonMapper MAPPER = JsonMapper.builder().build();

	private static final Pattern UUID_V1 = Pattern
		.compile("^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

	private static final Pattern PHX_REF = Pattern.compile("^[A-Za-z0-9_-]{16}$");

	private static final AtomicInteger topicCounter = new AtomicInteger();

	private static final HttpClient http = HttpClient.newHttpClient();

	@PresencePort
	private int port;

	@Autowired
	private PresenceService presenceService;

	@Autowired
	private RecordingListener events;

	private final List<Client> clients = new ArrayList<>();

	private String name;

	private String topic;

	PhoenixProtocolTests(TestInfo info) {
		this.name = info.getTestMethod().map((method) -> method.getName()).orElse("test") + "-"
				+ topicCounter.incrementAndGet();
		this.topic = "realtime:" + this.name;
	}

	@AfterEach
	void closeClients() {
		this.clients.forEach(Client::close);
	}

	// §2.3, §3.4 join reply and presence_state

	@Test
	void joinWithPresenceEnabledIsRepliedOkThenSentThePresenceState() {
		// given a client
		Client client = connect();
		// when it joins with presence enabled
		client.send(join(this.topic, "6", config(null, true)));
		// then it gets the ok reply and then the (empty) state, in that order
		assertThat(client.nextFrame()).isEqualTo(json("""
				["6","6","%s","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""".formatted(this.topic)));
		assertThat(client.nextFrame()).isEqualTo(json("""
				["6",null,"%s","presence_state",{}]""".formatted(this.topic)));
	}

	@Test
	void joinWithPresenceEnabledAsStringIsSentThePresenceState() {
		Client client = connect();
		// when presence is enabled with the string "TRUE"
		client.send(join(this.topic, "6", "{\"presence\":{\"key\":\"\",\"enabled\":\"TRUE\"}}"));
		// then the state follows the reply
		assertThat(client.nextFrame().get(3).asString()).isEqualTo("phx_reply");
		assertThat(client.nextFrame()).isEqualTo(json("""
				["6",null,"%s","presence_state",{}]""".formatted(this.topic)));
	}

	@Test
	void presenceStateHoldsEveryPresenceOfTheTopic() {
		// given alice tracked
		Client alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{\"name\":\"Alice\",\"nested\":{\"list\":[1,2.5,null,\"ü\"]}}"));
		alice.reply("2");
		// when bob joins
		Client bob = connect();
		bob.send(join(this.topic, "1", config("bob", true)));
		bob.reply("1");
		// then his state holds alice's meta as she tracked it, plus its phx_ref
		JsonNode state = bob.next(event("presence_state"));
		assertThat(state.get(0).asString()).isEqualTo("1");
		assertThat(state.get(1).isNull()).isTrue();
		assertThat(state.get(4).propertyNames()).containsExactly("alice");
		JsonNode meta = state.get(4).get("alice").get("metas").get(0);
		assertThat(meta.get("phx_ref").asString()).matches(PHX_REF);
		assertThat(withoutRefs(meta)).isEqualTo(json("{\"name\":\"Alice\",\"nested\":{\"list\":[1,2.5,null,\"ü\"]}}"));
	}

	@Test
	void laterJoinersAreSentTheStateAsOfTheirJoinWhateverChangedBetweenThem() {
		// given alice tracked, and two joiners with no change between them
		Client alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		alice.reply("2");
		JsonNode first = joined(this.topic, "bob").stateOf(this.topic);
		JsonNode second = joined(this.topic, "carol").stateOf(this.topic);
		// when alice changes her state, and later untracks
		alice.send(track(this.topic, "1", "3", "{\"v\":2}"));
		alice.reply("3");
		// (a re-track may be coalesced: stored at the end of its window)
		eventually().until(() -> this.presenceService.get(this.topic, "alice")
			.stream()
			.anyMatch((presence) -> Integer.valueOf(2).equals(presence.state().get("v"))));
		JsonNode afterUpdate = joined(this.topic, "dave").stateOf(this.topic);
		alice.send(untrack(this.topic, "1", "4"));
		alice.reply("4");
		JsonNode afterUntrack = joined(this.topic, "erin").stateOf(this.topic);
		// then each joiner was sent the state of its own moment
		assertThat(first).isEqualTo(second);
		assertThat(withoutRefs(first.get("alice").get("metas").get(0))).isEqualTo(json("{\"v\":1}"));
		assertThat(withoutRefs(afterUpdate.get("alice").get("metas").get(0))).isEqualTo(json("{\"v\":2}"));
		assertThat(afterUntrack.has("alice")).isFalse();
	}

	@Test
	void joinWithPresenceDisabledIsNotSentThePresenceState() {
		Client client = connect();
		// when it joins with presence disabled
		client.send(join(this.topic, "6", config(null, false)));
		// then it gets the reply, and nothing else before its next heartbeat reply
		assertThat(client.nextFrame()).isEqualTo(json("""
				["6","6","%s","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""".formatted(this.topic)));
		client.send(heartbeat("7"));
		assertThat(client.nextFrame()).isEqualTo(json("[null,\"7\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"));
	}

	@Test
	void joinWithoutConfigIsAcceptedWithDefaults() {
		Client client = connect();
		client.send("[\"1\",\"1\",\"" + this.topic + "\",\"phx_join\",{}]");
		assertThat(client.reply("1").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"));
	}

	// §3.3, §3.5 track, update, untrack

	@Test
	void trackedPresenceReachesEveryEnabledMemberIncludingItself() {
		// given alice and bob joined with presence enabled
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		// when alice tracks
		alice.send(track(this.topic, "1", "2", "{\"user\":\"user-1\",\"online_at\":\"2024-01-01T00:00:00.000Z\"}"));
		// then she gets the ok reply
		assertThat(alice.reply("2")).isEqualTo(json("""
				["1","2","%s","phx_reply",{"status":"ok","response":{}}]""".formatted(this.topic)));
		// and both get the same diff: her meta with a phx_ref in joins, empty leaves
		JsonNode toAlice = alice.next(event("presence_diff"));
		JsonNode toBob = bob.next(event("presence_diff"));
		assertThat(toBob).isEqualTo(toAlice);
		assertThat(toBob.get(0).isNull()).isTrue();
		assertThat(toBob.get(1).isNull()).isTrue();
		assertThat(toBob.get(2).asString()).isEqualTo(this.topic);
		assertThat(toBob.get(4).get("leaves")).isEqualTo(json("{}"));
		assertThat(toBob.get(4).get("joins").propertyNames()).containsExactly("alice");
		JsonNode metas = toBob.get(4).get("joins").get("alice").get("metas");
		assertThat(metas).hasSize(1);
		assertThat(metas.get(0).get("phx_ref").asString()).matches(PHX_REF);
		assertThat(metas.get(0).has("phx_ref_prev")).isFalse();
		assertThat(withoutRefs(metas.get(0)))
			.isEqualTo(json("{\"user\":\"user-1\",\"online_at\":\"2024-01-01T00:00:00.000Z\"}"));
	}

	@Test
	void trackWithoutPayloadTracksAnEmptyState() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"track\"}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		JsonNode meta = alice.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		assertThat(withoutRefs(meta)).isEqualTo(json("{}"));
	}

	@Test
	void identicalRetrackIsRepliedOkWithoutDiff() {
		// given alice tracked, seen by bob
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{\"a\":1,\"b\":{\"c\":[1,2]}}"));
		bob.next(event("presence_diff"));
		// when she tracks an equal payload, keys in another order
		alice.send(track(this.topic, "1", "3", "{\"b\":{\"c\":[1,2]},\"a\":1}"));
		// then she gets ok
		assertThat(alice.reply("3").get(4).get("status").asString()).isEqualTo("ok");
		// and the next diff bob sees is the one of her untrack: the re-track made none
		alice.send(untrack(this.topic, "1", "4"));
		JsonNode next = bob.next(event("presence_diff"));
		assertThat(next.get(4).get("joins")).isEqualTo(json("{}"));
		assertThat(next.get(4).get("leaves").propertyNames()).containsExactly("alice");
	}

	@Test
	void changedPayloadIsOneDiffWithTheNewMetaJoiningAndTheOldMetaLeaving() {
		// given alice tracked {v:1}, seen by bob
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		String firstRef = bob.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0)
			.get("phx_ref").asString();
		// when she tracks {v:2}
		alice.send(track(this.topic, "1", "3", "{\"v\":2}"));
		assertThat(alice.reply("3").get(4).get("status").asString()).isEqualTo("ok");
		// then bob gets one diff: the new meta (pointing at the old ref) joins, the old one leaves
		JsonNode update = bob.next(event("presence_diff")).get(4);
		JsonNode joined = update.get("joins").get("alice").get("metas");
		JsonNode left = update.get("leaves").get("alice").get("metas");
		assertThat(update.get("joins").propertyNames()).containsExactly("alice");
		assertThat(update.get("leaves").propertyNames()).containsExactly("alice");
		assertThat(joined).hasSize(1);
		assertThat(left).hasSize(1);
		String secondRef = joined.get(0).get("phx_ref").asString();
		assertThat(secondRef).matches(PHX_REF).isNotEqualTo(firstRef);
		assertThat(joined.get(0)).isEqualTo(json("{\"v\":2,\"phx_ref\":\"%s\",\"phx_ref_prev\":\"%s\"}"
			.formatted(secondRef, firstRef)));
		assertThat(left.get(0)).isEqualTo(json("{\"v\":1,\"phx_ref\":\"%s\"}".formatted(firstRef)));
		// and nothing else: the next diff is the leave of the new meta
		alice.send(untrack(this.topic, "1", "4"));
		JsonNode leave = bob.next(event("presence_diff")).get(4);
		assertThat(leave.get("joins")).isEqualTo(json("{}"));
		assertThat(leave.get("leaves").get("alice").get("metas").get(0).get("phx_ref").asString())
			.isEqualTo(secondRef);
	}

	@Test
	void untrackIsRepliedOkAndSendsTheLeaveDiff() {
		// given alice tracked
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		JsonNode meta = bob.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		// when she untracks
		alice.send(untrack(this.topic, "1", "3"));
		// then she gets ok and everyone gets the leave of her meta
		assertThat(alice.reply("3")).isEqualTo(json("""
				["1","3","%s","phx_reply",{"status":"ok","response":{}}]""".formatted(this.topic)));
		JsonNode expected = json("""
				[null,null,"%s","presence_diff",{"joins":{},"leaves":{"alice":{"metas":[%s]}}}]"""
			.formatted(this.topic, meta));
		assertThat(bob.next(event("presence_diff"))).isEqualTo(expected);
		assertThat(alice.next(event("presence_diff").and((f) -> f.get(4).get("leaves").has("alice"))))
			.isEqualTo(expected);
	}

	@Test
	void trackingTheSamePayloadAfterAnUntrackJoinsAgain() {
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		bob.next(event("presence_diff"));
		alice.send(untrack(this.topic, "1", "3"));
		bob.next(event("presence_diff"));
		// when the same payload is tracked again
		alice.send(track(this.topic, "1", "4", "{\"v\":1}"));
		// then it is a join again
		assertThat(bob.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	@Test
	void untrackWithNothingTrackedIsOkWithoutDiff() {
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		// when alice untracks without having tracked
		alice.send(untrack(this.topic, "1", "2"));
		// then she gets ok
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		// and the next diff bob sees is his own track
		bob.send(track(this.topic, "1", "2", "{}"));
		JsonNode next = bob.next(event("presence_diff")).get(4);
		assertThat(next.get("joins").propertyNames()).containsExactly("bob");
		assertThat(next.get("leaves")).isEqualTo(json("{}"));
	}

	@Test
	void pushWithNullJoinRefIsAccepted() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame(null, "2", this.topic, "presence",
				"{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		assertThat(alice.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	// §4 leaving and closing

	@Test
	void phxLeaveIsRepliedOkThenClosedAndOthersSeeTheLeave() {
		// given alice tracked
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{}"));
		bob.next(event("presence_diff"));
		// when she leaves
		alice.send(frame("1", "9", this.topic, "phx_leave", "{}"));
		// then she gets the ok reply and then phx_close for her join
		assertThat(alice.next(event("phx_reply").or(event("phx_close")).and(ref("9").or(ref("1")))))
			.isEqualTo(json("""
					["1","9","%s","phx_reply",{"status":"ok","response":{}}]""".formatted(this.topic)));
		assertThat(alice.next(event("phx_reply").or(event("phx_close")).and(ref("9").or(ref("1")))))
			.isEqualTo(json("""
					["1","1","%s","phx_close",{}]""".formatted(this.topic)));
		// and bob sees her presence leave
		JsonNode leave = bob.next(event("presence_diff")).get(4);
		assertThat(leave.get("leaves").propertyNames()).containsExactly("alice");
		// and her pushes to the topic are unmatched now
		alice.send(track(this.topic, "1", "10", "{}"));
		assertThat(alice.reply("10").get(4).get("response").get("reason").asString()).isEqualTo("unmatched topic");
	}

	@Test
	void closingTheSocketSendsTheLeaveDiffToOthers() {
		// given alice tracked
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		JsonNode meta = bob.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		// when her socket closes
		alice.close();
		// then bob sees her meta leave
		assertThat(bob.next(event("presence_diff"))).isEqualTo(json("""
				[null,null,"%s","presence_diff",{"joins":{},"leaves":{"alice":{"metas":[%s]}}}]"""
			.formatted(this.topic, meta)));
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.get(this.topic, "alice").isEmpty());
	}

	@Test
	void abortedSocketSendsTheLeaveDiffToOthers() {
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{}"));
		bob.next(event("presence_diff"));
		// when her connection drops without a close handshake
		alice.abort();
		// then bob sees her leave
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
	}

	// §3.3 presence keys

	@Test
	void customStringKeyIsThePresenceKey() {
		Client alice = connect();
		alice.send(join(this.topic, "1", config("userId-123", true)));
		alice.reply("1");
		alice.send(track(this.topic, "1", "2", "{}"));
		assertThat(alice.next(event("presence_diff")).get(4).get("joins").propertyNames())
			.containsExactly("userId-123");
	}

	@Test
	void customNumberKeyIsItsDecimalText() {
		Client alice = connect();
		alice.send(join(this.topic, "1", "{\"presence\":{\"key\":123,\"enabled\":true}}"));
		alice.reply("1");
		alice.send(track(this.topic, "1", "2", "{}"));
		assertThat(alice.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("123");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.get(this.topic, "123").size() == 1);
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"presence\":{\"enabled\":true}}", "{\"presence\":{\"key\":null,\"enabled\":true}}",
			"{\"presence\":{\"key\":\"\",\"enabled\":true}}" })
	void missingNullOrEmptyKeyIsANewVersionOneUuidPerJoin(String config) {
		// given a client that joins without a key and tracks
		Client client = connect();
		client.send(join(this.topic, "1", config));
		client.reply("1");
		client.send(track(this.topic, "1", "2", "{}"));
		String firstKey = client.next(event("presence_diff")).get(4).get("joins").propertyNames().iterator().next();
		// when it joins the topic again and tracks
		client.send(join(this.topic, "3", config));
		client.reply("3");
		client.send(track(this.topic, "3", "4", "{}"));
		String secondKey = client.next(event("presence_diff").and((f) -> !f.get(4).get("joins").isEmpty()))
			.get(4)
			.get("joins")
			.propertyNames()
			.iterator()
			.next();
		// then each join had its own version 1 UUID as key
		assertThat(firstKey).matches(UUID_V1);
		assertThat(secondKey).matches(UUID_V1).isNotEqualTo(firstKey);
		assertThat(UUID.fromString(firstKey).version()).isEqualTo(1);
	}

	@Test
	void twoConnectionsUnderOneKeyGiveTwoMetas() {
		// given two connections tracking under one key
		Client first = connect();
		first.send(join(this.topic, "1", config("shared", true)));
		first.reply("1");
		first.send(track(this.topic, "1", "2", "{\"tab\":1}"));
		first.reply("2");
		Client second = connect();
		second.send(join(this.topic, "1", config("shared", true)));
		second.reply("1");
		second.send(track(this.topic, "1", "2", "{\"tab\":2}"));
		second.reply("2");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.get(this.topic, "shared").size() == 2);
		// when an observer joins
		Client observer = joined(this.topic, "observer");
		// then its state holds both metas under the key, with distinct refs
		JsonNode metas = observer.stateOf(this.topic).get("shared").get("metas");
		assertThat(metas).hasSize(2);
		assertThat(metas.get(0).get("phx_ref").asString()).isNotEqualTo(metas.get(1).get("phx_ref").asString());
		assertThat(List.of(withoutRefs(metas.get(0)), withoutRefs(metas.get(1))))
			.containsExactlyInAnyOrder(json("{\"tab\":1}"), json("{\"tab\":2}"));
		// and when one connection closes, only its meta leaves
		first.close();
		JsonNode leave = observer.next(event("presence_diff")).get(4);
		assertThat(withoutRefs(leave.get("leaves").get("shared").get("metas").get(0))).isEqualTo(json("{\"tab\":1}"));
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.get(this.topic, "shared").size() == 1);
	}

	// §3.3, §7 item 1: a track turns presence on

	@Test
	void trackOnChannelJoinedWithPresenceDisabledIsOkThenSentThePresenceStateAndSeenByOthers() {
		// given an observer, and a member that joined with presence disabled
		Client observer = joined(this.topic, "observer");
		Client silent = connect();
		silent.send(join(this.topic, "1", config("silent", false)));
		silent.reply("1");
		// when the silent member tracks
		silent.send(track(this.topic, "1", "2", "{\"quiet\":true}"));
		// then it gets ok, and then the state, which holds its own presence
		assertThat(silent.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		JsonNode state = silent.next(event("presence_state"));
		assertThat(state.get(0).asString()).isEqualTo("1");
		assertThat(state.get(4).has("silent")).isTrue();
		// and the observer sees the join
		assertThat(observer.next(event("presence_diff")).get(4).get("joins").propertyNames())
			.containsExactly("silent");
		// and from now on the silent member gets diffs too
		observer.send(track(this.topic, "1", "2", "{}"));
		assertThat(silent.next(event("presence_diff")).get(4).get("joins").propertyNames())
			.containsExactly("observer");
	}

	// §2.6 channel bookkeeping

	@Test
	void joinOfATopicAlreadyJoinedClosesTheOldJoinThenRepliesToTheNewOne() {
		// given alice joined under join ref 1 and tracked
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{}"));
		bob.next(event("presence_diff"));
		// when she joins the same topic again under join ref 5
		alice.send(join(this.topic, "5", config("alice", true)));
		// then the old join is closed first, then the new one is replied to
		Predicate<JsonNode> closeOrReply = event("phx_close").or(event("phx_reply").and(ref("5")));
		assertThat(alice.next(closeOrReply)).isEqualTo(json("""
				["1","1","%s","phx_close",{}]""".formatted(this.topic)));
		assertThat(alice.next(closeOrReply)).isEqualTo(json("""
				["5","5","%s","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""".formatted(this.topic)));
		// and the presence of the old join is gone
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
	}

	@Test
	void frameWithAStaleJoinRefIsIgnored() {
		// given alice rejoined under join ref 5
		Client alice = joined(this.topic, "alice");
		alice.send(join(this.topic, "5", config("alice", true)));
		alice.reply("5");
		// when she pushes under the old join ref 1, then sends a heartbeat
		alice.send(track(this.topic, "1", "6", "{}"));
		alice.send(heartbeat("7"));
		alice.reply("7");
		// then nothing answered the stale push, and nothing was tracked
		assertThat(alice.received()).noneMatch(ref("6"));
		assertThat(this.presenceService.get(this.topic, "alice")).isEmpty();
	}

	// §1.4 refs: every reply echoes the ref of its push and carries the channel's join ref

	@Test
	void joinWhoseRefDiffersFromItsJoinRefIsAnsweredUnderBothRefs() {
		// given a client that gives its join a ref apart from its join ref, as some SDKs do
		Client client = connect();
		Client bob = joined(this.topic, "bob");
		// when it joins, tracks and leaves
		client.send(frame("0", "1", this.topic, "phx_join", "{\"config\":" + config("alice", true) + "}"));
		// then the join reply echoes the push's ref and carries the join ref, and so does every frame after it
		assertThat(client.nextFrame()).isEqualTo(json("""
				["0","1","%s","phx_reply",{"status":"ok","response":{"postgres_changes":[]}}]""".formatted(this.topic)));
		assertThat(client.nextFrame().get(0).asString()).isEqualTo("0");
		client.send(track(this.topic, "0", "2", "{}"));
		assertThat(client.reply("2").get(0).asString()).isEqualTo("0");
		bob.next(event("presence_diff"));
		client.send(frame("0", "3", this.topic, "phx_leave", "{}"));
		assertThat(client.reply("3").get(0).asString()).isEqualTo("0");
		assertThat(client.next(event("phx_close"))).isEqualTo(json("""
				["0","0","%s","phx_close",{}]""".formatted(this.topic)));
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
	}

	@ParameterizedTest
	@ValueSource(strings = { "realtime:", "realtime:private-flag" })
	void refusedJoinWhoseRefDiffersFromItsJoinRefIsAnsweredUnderBothRefs(String topic) {
		Client client = connect();
		// when a join is refused: no topic name, or a config it cannot read
		client.send(frame("0", "1", topic, "phx_join", "{\"config\":{\"private\":\"yes\"}}"));
		// then the error reply echoes the push's ref and carries the join ref
		JsonNode reply = client.reply("1");
		assertThat(reply.get(0).asString()).isEqualTo("0");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void versionOneJoinWithoutJoinRefIsAnsweredUnderItsRef() {
		// given a 1.0.0 client that sends no join_ref at all, and an observer
		Client v1 = connect("apikey=anon-key&vsn=1.0.0");
		Client observer = joined(this.topic, "observer");
		// when it joins, tracks and leaves
		v1.send("""
				{"topic":"%s","event":"phx_join","payload":{"config":{"presence":{"key":"v1","enabled":true}}},"ref":"6"}"""
			.formatted(this.topic));
		assertThat(v1.reply("6").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"));
		v1.next(event("presence_state"));
		v1.send("""
				{"topic":"%s","event":"presence","payload":{"type":"presence","event":"track","payload":{"v":1}},"ref":"7"}"""
			.formatted(this.topic));
		assertThat(v1.reply("7").get(4).get("status").asString()).isEqualTo("ok");
		assertThat(observer.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("v1");
		v1.send("""
				{"topic":"%s","event":"phx_leave","payload":{},"ref":"8"}""".formatted(this.topic));
		// then every push was answered under its own ref, and the channel closed under the join's
		assertThat(v1.reply("8").get(4).get("status").asString()).isEqualTo("ok");
		assertThat(v1.next(event("phx_close")).get(1).asString()).isEqualTo("6");
		assertThat(observer.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("v1");
	}

	@Test
	void versionOneJoinWhoseRefDiffersFromItsJoinRefIsAnsweredUnderItsRef() {
		Client v1 = connect("apikey=anon-key&vsn=1.0.0");
		v1.send("""
				{"topic":"%s","event":"phx_join","payload":{"config":{"presence":{"enabled":true}}},"ref":"4","join_ref":"3"}"""
			.formatted(this.topic));
		assertThat(v1.reply("4").get(4).get("status").asString()).isEqualTo("ok");
		v1.send("""
				{"topic":"%s","event":"presence","payload":{"type":"presence","event":"track","payload":{}},"ref":"5","join_ref":"3"}"""
			.formatted(this.topic));
		assertThat(v1.reply("5").get(4).get("status").asString()).isEqualTo("ok");
	}

	// join validation

	@Test
	void channelNameLongerThanTheMaximumIsRefusedWithTopicNameTooLong() {
		Client client = connect();
		String longest = "realtime:" + "n".repeat(256);
		client.send(join(longest + "x", "1", config(null, true)));
		assertThat(client.reply("1").get(4).get("response").get("reason").asString())
			.isEqualTo("TopicNameTooLong: Topic names are limited to 256 characters");
		client.send(join(longest, "2", config(null, true)));
		assertThat(client.reply("2").get(4).get("status").asString()).isEqualTo("ok");
	}

	@ParameterizedTest
	@ValueSource(strings = { "\" true\"", "1", "\"yes\"", "{}", "[]" })
	void privateFlagThatIsNotABooleanIsRefused(String flag) {
		Client client = connect();
		// when a client asks for a channel whose privacy cannot be read
		client.send(join(this.topic, "1", "{\"presence\":{\"enabled\":true},\"private\":" + flag + "}"));
		// then the join is refused, rather than joining the public topic of that name
		assertThat(client.reply("1").get(4).get("response").get("reason").asString())
			.isEqualTo("InvalidJoinPayload: config.private must be true or false");
		client.send(track(this.topic, "1", "2", "{}"));
		assertThat(client.reply("2").get(4).get("response").get("reason").asString()).isEqualTo("unmatched topic");
	}

	@Test
	void privateFlagAsAStringIsReadAsABoolean() {
		Client client = connect();
		client.send(join(this.topic, "1", "{\"presence\":{\"enabled\":true},\"private\":\"TRUE\"}"));
		assertThat(client.reply("1").get(4).get("response").get("reason").asString()).startsWith("Unauthorized:");
	}

	@Test
	void refsInATrackedStateAreTheServers() {
		// given alice and bob joined
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		// when alice tracks a state that carries refs of its own
		alice.send(track(this.topic, "1", "2", "{\"phx_ref\":\"mine\",\"phx_ref_prev\":\"forged\",\"a\":1}"));
		alice.reply("2");
		// then bob sees the server's ref and no previous ref, and the stored state has neither
		JsonNode meta = bob.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		assertThat(meta.propertyNames()).containsExactlyInAnyOrder("a", "phx_ref");
		assertThat(meta.get("phx_ref").asString()).matches(PHX_REF);
		assertThat(this.presenceService.get(this.topic, "alice")).singleElement()
			.satisfies((presence) -> assertThat(presence.state()).containsOnlyKeys("a"));
	}

	@Test
	void frameForATopicNotJoinedIsRepliedUnmatchedTopic() {
		Client client = connect();
		client.send(track(this.topic, "1", "2", "{}"));
		assertThat(client.reply("2")).isEqualTo(json("""
				[null,"2","%s","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""
			.formatted(this.topic)));
	}

	@Test
	void phxLeaveForATopicNotJoinedIsRepliedOk() {
		Client client = connect();
		client.send(frame("1", "2", this.topic, "phx_leave", "{}"));
		JsonNode reply = client.reply("2");
		assertThat(reply.get(2).asString()).isEqualTo(this.topic);
		assertThat(reply.get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
	}

	@Test
	void topicWithoutTheRealtimePrefixIsUnmatchedTopic() {
		Client client = connect();
		client.send(join("room_01", "1", config(null, true)));
		assertThat(client.reply("1")).isEqualTo(json("""
				[null,"1","room_01","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""));
	}

	@Test
	void emptyTopicNameIsRefusedWithTopicNameRequired() {
		Client client = connect();
		client.send(join("realtime:", "1", config(null, true)));
		JsonNode reply = client.reply("1");
		assertThat(reply.get(0).asString()).isEqualTo("1");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
		assertThat(reply.get(4).get("response").get("reason").asString()).startsWith("TopicNameRequired");
	}

	@Test
	void privateChannelIsRefusedUnauthorized() {
		Client client = connect();
		client.send(join(this.topic, "1", "{\"presence\":{\"enabled\":true},\"private\":true}"));
		JsonNode reply = client.reply("1");
		assertThat(reply.get(0).asString()).isEqualTo("1");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
		assertThat(reply.get(4).get("response").get("reason").asString()).startsWith("Unauthorized:");
		// and nothing joined: a push is unmatched
		client.send(track(this.topic, "1", "2", "{}"));
		assertThat(client.reply("2").get(4).get("response").get("reason").asString()).isEqualTo("unmatched topic");
	}

	@Test
	void accessTokenPushIsAcceptedWithoutReply() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "access_token", "{\"access_token\":\"anon-key\"}"));
		alice.send(heartbeat("3"));
		alice.reply("3");
		assertThat(alice.received()).noneMatch(ref("2"));
	}

	// §1.5 heartbeat

	@Test
	void heartbeatIsRepliedOk() {
		Client client = connect();
		client.send(heartbeat("12"));
		assertThat(client.nextFrame()).isEqualTo(json("""
				[null,"12","phoenix","phx_reply",{"status":"ok","response":{}}]"""));
	}

	// §3.2 presence push replies

	@ParameterizedTest
	@ValueSource(strings = { "\"just a string\"", "[1,2]", "42" })
	void trackPayloadThatIsNotAnObjectIsAnError(String payload) {
		Client alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", payload));
		assertThat(alice.reply("2")).isEqualTo(json("""
				["1","2","%s","phx_reply",{"status":"error","response":{"reason":"Presence track payload must be a map"}}]"""
			.formatted(this.topic)));
		assertThat(this.presenceService.get(this.topic, "alice")).isEmpty();
	}

	@Test
	void unknownPresenceEventIsAnError() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"foo\"}"));
		JsonNode reply = alice.reply("2");
		assertThat(reply.get(0).asString()).isEqualTo("1");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void presencePushWithoutEventIsOkAndDoesNothing() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"payload\":{\"a\":1}}"));
		assertThat(alice.reply("2").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
		// the next diff is the one of a real track
		alice.send(track(this.topic, "1", "3", "{\"b\":2}"));
		JsonNode meta = alice.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		assertThat(withoutRefs(meta)).isEqualTo(json("{\"b\":2}"));
	}

	@Test
	void trackEventIsCaseInsensitive() {
		Client alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"TRACK\",\"payload\":{}}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
	}

	// §5.1 limits

	@Test
	void trackOverTheMaximumStateSizeGetsSystemErrorThenCloseAndNoReply() {
		// given alice joined, and bob watching
		Client alice = joined(this.topic, "alice");
		Client bob = joined(this.topic, "bob");
		// when she tracks a state larger than presence.limits.max-state-size (1KB)
		alice.send(track(this.topic, "1", "2", "{\"blob\":\"" + "x".repeat(2000) + "\"}"));
		// then she gets the system error and then phx_close
		Predicate<JsonNode> systemOrClose = event("system").or(event("phx_close"));
		assertThat(alice.next(systemOrClose)).isEqualTo(json("""
				["1",null,"%s","system",{"extension":"system","status":"error","message":"Track message size exceeded","channel":"%s"}]"""
			.formatted(this.topic, this.name)));
		assertThat(alice.next(systemOrClose)).isEqualTo(json("""
				["1","1","%s","phx_close",{}]""".formatted(this.topic)));
		// and no reply to the track
		alice.send(heartbeat("3"));
		alice.reply("3");
		assertThat(alice.received()).noneMatch(ref("2"));
		assertThat(this.presenceService.get(this.topic, "alice")).isEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = { "not json", "{\"topic\":\"phoenix\"}", "[null,\"5\",\"realtime:x\",\"ev\"]",
			"[null,\"5\",5,\"ev\",{}]", "[null,\"5\",\"realtime:x\",\"ev\",[]]", "[{},\"5\",\"realtime:x\",\"ev\",{}]", "" })
	void malformedFrameGetsAnErrorReplyAndTheConnectionStaysUsable(String text) {
		// given a presence of another connection
		Client bob = joined(this.topic, "bob");
		bob.send(track(this.topic, "1", "2", "{}"));
		bob.reply("2");
		Client client = connect();
		// when a malformed frame arrives
		client.send(text);
		// then it gets an error reply
		JsonNode reply = client.next(event("phx_reply"));
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
		assertThat(reply.get(4).get("response").get("reason").asString()).isNotBlank();
		// and a heartbeat afterwards is still answered
		client.send(heartbeat("hb"));
		assertThat(client.reply("hb").get(4).get("status").asString()).isEqualTo("ok");
		// and the other connection's presence is untouched
		eventually().untilAsserted(() -> assertThat(this.presenceService.get(this.topic, "bob")).hasSize(1));
		bob.send(heartbeat("hb"));
		bob.reply("hb");
	}

	@Test
	void malformedFrameReplyKeepsTheRefAndTopicThatCouldBeRead() {
		Client client = connect();
		client.send("[null,\"5\",\"realtime:x\",\"ev\",[]]");
		JsonNode reply = client.reply("5");
		assertThat(reply.get(0).isNull()).isTrue();
		assertThat(reply.get(2).asString()).isEqualTo("realtime:x");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void nonJsonFrameIsRepliedOnThePhoenixTopic() {
		Client client = connect();
		client.send("not json");
		JsonNode reply = client.nextFrame();
		assertThat(reply.get(0).isNull()).isTrue();
		assertThat(reply.get(1).isNull()).isTrue();
		assertThat(reply.get(2).asString()).isEqualTo("phoenix");
		assertThat(reply.get(3).asString()).isEqualTo("phx_reply");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void binaryFrameGetsAnErrorReplyAndTheConnectionStaysUsable() {
		Client alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{}"));
		alice.reply("2");
		// when a binary frame arrives
		alice.sendBinary(new byte[] { 3, 1, 1, 1, 1, 0, 1 });
		// then it gets one error reply
		JsonNode reply = alice.next(event("phx_reply").and((f) -> f.get(4).get("status").asString().equals("error")));
		assertThat(reply.get(4).get("response").get("reason").asString()).isNotBlank();
		// and the connection and its presence are still there
		alice.send(heartbeat("3"));
		alice.reply("3");
		eventually().untilAsserted(() -> assertThat(this.presenceService.get(this.topic, "alice")).hasSize(1));
	}

	@Test
	void frameLargerThanTheMaximumFrameSizeClosesTheConnectionWith1009() {
		Client client = connect();
		// when a frame larger than presence.limits.max-frame-size (64KB) arrives
		client.sendIgnoringFailure("[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "x".repeat(70_000) + "\"}]");
		// then the connection is closed with 1009
		assertThat(client.closeCode()).isEqualTo(1009);
	}

	@Test
	void frameLargerThanTheMaximumFrameSizeInUtf8BytesClosesTheConnectionWith1009() {
		Client client = connect();
		// when a frame of 40 000 three-byte characters (120 000 bytes) arrives, over the 64KB maximum
		client.sendIgnoringFailure("[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "€".repeat(40_000) + "\"}]");
		client.sendIgnoringFailure(heartbeat("2"));
		// then the connection is closed with 1009 instead of the frame being handled
		assertThat(client.closeCodeOrReply("2")).isEqualTo("closed 1009");
	}

	@Test
	void frameUnderTheMaximumFrameSizeSentInFragmentsIsHandled() {
		Client client = connect();
		String padded = "[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "x".repeat(20_000) + "\"}]";
		client.send(padded);
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
	}

	// §1.3 serializer negotiation

	@Test
	void unsupportedVsnIsRefusedWithBadRequest() {
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> http.newWebSocketBuilder()
				.buildAsync(uri("vsn=3.0.0"), new Client())
				.get(5, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOfSatisfying(WebSocketHandshakeException.class,
					(ex) -> assertThat(ex.getResponse().statusCode()).isEqualTo(400));
	}

	@Test
	void missingVsnSpeaksVersionOneObjects() {
		Client client = connect("apikey=anon-key");
		client.send("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"8\"}");
		client.reply("8");
		assertThat(client.texts()).singleElement()
			.satisfies((text) -> assertThat(json(text)).isEqualTo(json("""
					{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"8"}""")));
	}

	@Test
	void versionOneSessionJoinsTracksAndReceivesDiffsAsObjectsWithoutJoinRef() {
		// given a 1.0.0 client and a 2.0.0 observer
		Client v1 = connect("apikey=anon-key&vsn=1.0.0");
		Client observer = joined(this.topic, "observer");
		// when the 1.0.0 client joins, tracks, untracks and leaves
		v1.send("""
				{"topic":"%s","event":"phx_join","payload":{"config":{"presence":{"key":"v1","enabled":true}}},"ref":"6","join_ref":"6"}"""
			.formatted(this.topic));
		v1.next(event("presence_state"));
		v1.send("""
				{"topic":"%s","event":"presence","payload":{"type":"presence","event":"track","payload":{"v":1}},"ref":"7","join_ref":"6"}"""
			.formatted(this.topic));
		JsonNode diff = v1.next(event("presence_diff"));
		v1.send("""
				{"topic":"%s","event":"phx_leave","payload":{},"ref":"8","join_ref":"6"}""".formatted(this.topic));
		v1.next(event("phx_close"));
		// then it got every frame as an object without join_ref
		assertThat(v1.reply("6").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"));
		assertThat(v1.reply("7").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
		assertThat(v1.reply("8").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
		assertThat(diff.get(4).get("joins").propertyNames()).containsExactly("v1");
		assertThat(v1.texts()).hasSizeGreaterThanOrEqualTo(6).allSatisfy((text) -> {
			JsonNode object = json(text);
			assertThat(object.isObject()).isTrue();
			assertThat(object.propertyNames()).containsExactlyInAnyOrder("topic", "event", "payload", "ref");
		});
		// and the 2.0.0 observer saw its presence come and go
		assertThat(observer.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("v1");
		assertThat(observer.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("v1");
	}

	// PresenceService and application events

	@Test
	void serverSideTrackReachesClientsAndClientPresencesAreListed() {
		// given alice tracked by a client
		Client alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{\"name\":\"Alice\"}"));
		alice.next(event("presence_diff"));
		// when the server tracks a presence of its own
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("role", "bot"));
		// then the client sees it join
		JsonNode joined = alice.next(event("presence_diff")).get(4);
		assertThat(joined.get("joins").propertyNames()).containsExactly("bot");
		JsonNode botMeta = joined.get("joins").get("bot").get("metas").get(0);
		assertThat(botMeta).isEqualTo(json("{\"role\":\"bot\",\"phx_ref\":\"%s\"}".formatted(bot.presence().ref())));
		// and the service lists both
		Map<String, List<Presence>> listed = this.presenceService.list(this.topic);
		assertThat(listed).containsOnlyKeys("alice", "bot");
		assertThat(listed.get("alice")).singleElement()
			.satisfies((presence) -> assertThat(presence.state()).isEqualTo(Map.of("name", "Alice")));
		assertThat(this.presenceService.get(this.topic, "bot")).containsExactly(bot.presence());
		assertThat(this.presenceService.count(this.topic)).isEqualTo(new PresenceCount(2, 2));
		// and when it updates and untracks, the client sees both
		Presence first = bot.presence();
		bot.update(Map.of("role", "busy"));
		JsonNode update = alice.next(event("presence_diff")).get(4);
		assertThat(update.get("joins").get("bot").get("metas").get(0))
			.isEqualTo(json("{\"role\":\"busy\",\"phx_ref\":\"%s\",\"phx_ref_prev\":\"%s\"}"
				.formatted(bot.presence().ref(), first.ref())));
		assertThat(update.get("leaves").get("bot").get("metas").get(0))
			.isEqualTo(json("{\"role\":\"bot\",\"phx_ref\":\"%s\"}".formatted(first.ref())));
		bot.untrack();
		assertThat(alice.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("bot");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.count(this.topic).equals(new PresenceCount(1, 1)));
	}

	@Test
	void serverSideStateHoldingTheServersRefsIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.presenceService.track(this.topic, "bot", Map.of("phx_ref", "mine")));
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("status", "ok"));
		assertThatIllegalArgumentException().isThrownBy(() -> bot.update(Map.of("phx_ref_prev", "forged")));
		// the node's own copy takes the change in after the store did
		eventually().until(() -> this.presenceService.get(this.topic, "bot").size() == 1);
		assertThat(this.presenceService.get(this.topic, "bot")).singleElement()
			.satisfies((presence) -> assertThat(presence.state()).isEqualTo(Map.of("status", "ok")));
		assertThat(bot.presence().state()).isEqualTo(Map.of("status", "ok"));
		bot.untrack();
	}

	@Test
	void serverSideTrackIsInTheStateOfLateJoiners() {
		TrackedPresence bot = this.presenceService.track(this.topic, "bot", Map.of("role", "bot"));
		try {
			Client alice = joined(this.topic, "alice");
			assertThat(alice.stateOf(this.topic).get("bot").get("metas").get(0).get("phx_ref").asString())
				.isEqualTo(bot.presence().ref());
		}
		finally {
			bot.untrack();
		}
	}

	@Test
	void topicWithoutMembersIsListedEmpty() {
		assertThat(this.presenceService.list(this.topic)).isEmpty();
		assertThat(this.presenceService.get(this.topic, "nobody")).isEmpty();
		assertThat(this.presenceService.count(this.topic)).isEqualTo(new PresenceCount(0, 0));
	}

	@Test
	void clientPresenceChangesArePublishedAsApplicationEvents() {
		// given alice joined
		Client alice = joined(this.topic, "alice");
		// when she tracks, updates and untracks
		alice.send(track(this.topic, "1", "2", "{\"v\":1}"));
		Presence first = presenceOf(alice.next(event("presence_diff")).get(4).get("joins").get("alice"));
		alice.send(track(this.topic, "1", "3", "{\"v\":2}"));
		Presence second = presenceOf(alice.next(event("presence_diff")).get(4).get("joins").get("alice"));
		alice.send(untrack(this.topic, "1", "4"));
		alice.next(event("presence_diff"));
		// then the listener got her join, her update as join then leave, and her leave, in order,
		// and a sync of the final state after them (syncs of changes the listener had not reached
		// yet are merged into the next one)
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.events.of(this.topic)).last()
				.isEqualTo(new PresenceSyncEvent(this.topic, Map.of())));
		assertThat(this.events.of(this.topic)).filteredOn((event) -> !(event instanceof PresenceSyncEvent))
			.containsExactly(new PresenceJoinEvent(this.topic, "alice", List.of(), List.of(first), true, true),
					new PresenceJoinEvent(this.topic, "alice", List.of(first), List.of(second), true, false),
					new PresenceLeaveEvent(this.topic, "alice", List.of(second), List.of(first), true, false),
					new PresenceLeaveEvent(this.topic, "alice", List.of(), List.of(second), true, true));
		assertThat(this.events.of(this.topic)).filteredOn(PresenceSyncEvent.class::isInstance)
			.isSubsetOf(new PresenceSyncEvent(this.topic, Map.of("alice", List.of(first))),
					new PresenceSyncEvent(this.topic, Map.of("alice", List.of(second))),
					new PresenceSyncEvent(this.topic, Map.of()));
	}

	@Test
	void throwingListenerDoesNotStopClientsFromGettingTheirDiffs() {
		// given a topic whose events make a listener throw
		String exploding = this.topic + "-explode";
		Client alice = joined(exploding, "alice");
		Client bob = joined(exploding, "bob");
		// when presences change
		alice.send(track(exploding, "1", "2", "{\"v\":1}"));
		bob.next(event("presence_diff"));
		alice.send(track(exploding, "1", "3", "{\"v\":2}"));
		bob.next(event("presence_diff"));
		alice.send(untrack(exploding, "1", "4"));
		// then clients still get every diff, and later events still reach listeners
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
		Client carol = joined(this.topic, "carol");
		carol.send(track(this.topic, "1", "2", "{}"));
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.events.of(this.topic)).hasAtLeastOneElementOfType(PresenceJoinEvent.class));
		assertThat(this.events.thrown.get()).isPositive();
	}

	// helpers

	private Client joined(String topic, String key) {
		Client client = connect();
		client.send(join(topic, "1", config(key, true)));
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		client.awaitReceived(event("presence_state"));
		return client;
	}

	private Client connect() {
		return connect("apikey=anon-key&vsn=2.0.0");
	}

	private Client connect(String query) {
		Client client = new Client();
		try {
			client.socket = http.newWebSocketBuilder().buildAsync(uri(query), client).get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException("Could not connect", ex);
		}
		this.clients.add(client);
		return client;
	}

	private URI uri(String query) {
		return URI.create("ws://localhost:" + this.port + "/realtime/v1/websocket?" + query);
	}

	private static Presence presenceOf(JsonNode byKey) {
		JsonNode meta = byKey.get("metas").get(0);
		@SuppressWarnings("unchecked")
		Map<String, @Nullable Object> state = MAPPER.convertValue(withoutRefs(meta), Map.class);
		JsonNode previous = meta.get("phx_ref_prev");
		return new Presence(meta.get("phx_ref").asString(), (previous != null) ? previous.asString() : null, state);
	}

	private static JsonNode withoutRefs(JsonNode meta) {
		ObjectNode copy = ((ObjectNode) meta).deepCopy();
		copy.remove("phx_ref");
		copy.remove("phx_ref_prev");
		return copy;
	}

	static String config(@Nullable String key, boolean enabled) {
		ObjectNode config = MAPPER.createObjectNode();
		config.putObject("broadcast").put("ack", false).put("self", false);
		config.putObject("presence").put("key", (key != null) ? key : "").put("enabled", enabled);
		config.putArray("postgres_changes");
		config.put("private", false);
		return MAPPER.writeValueAsString(config);
	}

	static String join(String topic, String joinRef, String config) {
		return frame(joinRef, joinRef, topic, "phx_join", "{\"config\":" + config + "}");
	}

	static String track(String topic, String joinRef, String ref, String payload) {
		return frame(joinRef, ref, topic, "presence",
				"{\"type\":\"presence\",\"event\":\"track\",\"payload\":" + payload + "}");
	}

	static String untrack(String topic, String joinRef, String ref) {
		return frame(joinRef, ref, topic, "presence", "{\"type\":\"presence\",\"event\":\"untrack\"}");
	}

	static String heartbeat(String ref) {
		return frame(null, ref, "phoenix", "heartbeat", "{}");
	}

	static String frame(@Nullable String joinRef, @Nullable String ref, String topic, String event, String payload) {
		ArrayNode array = MAPPER.createArrayNode();
		array.add(joinRef);
		array.add(ref);
		array.add(topic);
		array.add(event);
		array.add(MAPPER.readTree(payload));
		return MAPPER.writeValueAsString(array);
	}

	static JsonNode json(String text) {
		return MAPPER.readTree(text);
	}

	static Predicate<JsonNode> event(String event) {
		return (frame) -> event.equals(frame.get(3).asString());
	}

	static Predicate<JsonNode> ref(String ref) {
		return (frame) -> ref.equals(frame.get(1).asString(null));
	}

	static ConditionFactory eventually() {
		return await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
	}

	/**
	 * A WebSocket client that keeps every frame it receives, as {@code 2.0.0} arrays
	 * whatever the serializer ({@code 1.0.0} objects are turned into arrays, their raw
	 * text is kept too), for assertions to take in order or by condition.
	 */
	static final class Client implements WebSocket.Listener {

		private final List<JsonNode> received = new CopyOnWriteArrayList<>();

		private final List<String> texts = new CopyOnWriteArrayList<>();

		// guarded by itself
		private final LinkedList<JsonNode> inbox = new LinkedList<>();

		private final StringBuilder partial = new StringBuilder();

		private final CompletableFuture<Integer> closed = new CompletableFuture<>();

		@Nullable WebSocket socket;

		@Override
		public void onOpen(WebSocket webSocket) {
			webSocket.request(1);
		}

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.partial.append(data);
			if (last) {
				String text = this.partial.toString();
				this.partial.setLength(0);
				JsonNode frame = asArray(json(text));
				this.texts.add(text);
				this.received.add(frame);
				synchronized (this.inbox) {
					this.inbox.add(frame);
				}
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
			this.texts.add("<binary>");
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			this.closed.complete(statusCode);
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			this.closed.completeExceptionally(error);
		}

		private static JsonNode asArray(JsonNode frame) {
			if (frame.isArray()) {
				return frame;
			}
			ArrayNode array = MAPPER.createArrayNode();
			array.add(frame.path("join_ref").isString() ? frame.get("join_ref") : MAPPER.nullNode());
			array.add(frame.get("ref"));
			array.add(frame.get("topic"));
			array.add(frame.get("event"));
			array.add(frame.get("payload"));
			return array;
		}

		void send(String text) {
			this.socket.sendText(text, true).join();
		}

		void sendIgnoringFailure(String text) {
			this.socket.sendText(text, true).exceptionally((ex) -> null).join();
		}

		void sendBinary(byte[] bytes) {
			this.socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
		}

		/**
		 * The next frame not taken yet, whatever it is.
		 */
		JsonNode nextFrame() {
			return next((frame) -> true);
		}

		/**
		 * The first frame not taken yet that matches, waiting for it; frames before it
		 * stay to be taken.
		 */
		JsonNode next(Predicate<JsonNode> matching) {
			AtomicReference<JsonNode> found = new AtomicReference<>();
			eventually().alias("a matching frame among " + this.received).until(() -> {
				synchronized (this.inbox) {
					Iterator<JsonNode> frames = this.inbox.iterator();
					while (frames.hasNext()) {
						JsonNode frame = frames.next();
						if (matching.test(frame)) {
							frames.remove();
							found.set(frame);
							return true;
						}
					}
				}
				return false;
			});
			return found.get();
		}

		JsonNode reply(String ref) {
			return next(event("phx_reply").and(ref(ref)));
		}

		/**
		 * The payload of the next presence_state of a topic.
		 */
		void awaitReceived(Predicate<JsonNode> matching) {
			eventually().alias("a matching frame among " + this.received)
				.until(() -> this.received.stream().anyMatch(matching));
		}

		JsonNode stateOf(String topic) {
			return next(event("presence_state").and((frame) -> topic.equals(frame.get(2).asString()))).get(4);
		}

		List<JsonNode> received() {
			return this.received;
		}

		List<String> texts() {
			return this.texts;
		}

		int closeCode() {
			return this.closed.orTimeout(5, TimeUnit.SECONDS).join();
		}

		/**
		 * Wait for the connection to close or for the reply to a ref, whichever comes
		 * first.
		 */
		String closeCodeOrReply(String ref) {
			AtomicReference<String> outcome = new AtomicReference<>();
			eventually().until(() -> {
				if (this.closed.isDone()) {
					outcome.set("closed " + this.closed.getNow(-1));
					return true;
				}
				if (this.received.stream().anyMatch(event("phx_reply").and(ref(ref)))) {
					outcome.set("replied");
					return true;
				}
				return false;
			});
			return outcome.get();
		}

		void close() {
			WebSocket socket = this.socket;
			if (socket != null && !socket.isOutputClosed()) {
				socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally((ex) -> null).join();
			}
		}

		void abort() {
			WebSocket socket = this.socket;
			if (socket != null) {
				socket.abort();
			}
		}

	}

	/**
	 * Keeps the presence events the application receives.
	 */
	static final class RecordingListener {

		final List<Object> events = new CopyOnWriteArrayList<>();

		final AtomicInteger thrown = new AtomicInteger();

		@EventListener
		@Order(1)
		void onJoin(PresenceJoinEvent event) {
			this.events.add(event);
		}

		@EventListener
		@Order(1)
		void onLeave(PresenceLeaveEvent event) {
			this.events.add(event);
		}

		@EventListener
		@Order(1)
		void onSync(PresenceSyncEvent event) {
			this.events.add(event);
		}

		List<Object> of(String topic) {
			return this.events.stream().filter((event) -> topic.equals(topicOf(event))).toList();
		}

		private static @Nullable String topicOf(Object event) {
			if (event instanceof PresenceJoinEvent join) {
				return join.topic();
			}
			if (event instanceof PresenceLeaveEvent leave) {
				return leave.topic();
			}
			if (event instanceof PresenceSyncEvent sync) {
				return sync.topic();
			}
			return null;
		}

	}

	/**
	 * An application listener that fails on every event of topics named "...-explode".
	 */
	static final class ThrowingListener {

		private final RecordingListener recorder;

		ThrowingListener(RecordingListener recorder) {
			this.recorder = recorder;
		}

		@EventListener
		@Order(2)
		void on(PresenceSyncEvent event) {
			if (event.topic().endsWith("-explode")) {
				this.recorder.thrown.incrementAndGet();
				throw new IllegalStateException("listener failure for " + event.topic());
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration(excludeName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration" })
	static class TestApplication {

		@Bean
		RecordingListener recordingListener() {
			return new RecordingListener();
		}

		@Bean
		ThrowingListener throwingListener(RecordingListener recordingListener) {
			return new ThrowingListener(recordingListener);
		}

	}

}
