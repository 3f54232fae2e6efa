package dev.presence.websocket;

import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.presence.core.Presence;
import dev.presence.test.PhoenixSocket;
import tools.jackson.databind.JsonNode;

import static dev.presence.test.PhoenixSocket.Frames.event;
import static dev.presence.test.PhoenixSocket.Frames.frame;
import static dev.presence.test.PhoenixSocket.Frames.json;
import static dev.presence.test.PhoenixSocket.Frames.ref;
import static dev.presence.test.PhoenixSocket.Frames.track;
import static dev.presence.test.PhoenixSocket.Frames.untrack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Presence pushes (docs/protocol.md §3): track, update and untrack, presence keys, a
 * track that turns presence on, the replies to pushes.
 * <p>
 * Real WebSocket clients sending raw Phoenix frames, on a real server with the in-memory
 * store (see {@link ProtocolTestSupport}).
 */
class ProtocolPresenceTests extends ProtocolTestSupport {

	ProtocolPresenceTests(TestInfo info) {
		super(info);
	}

	// §3.3, §3.5 track, update, untrack

	@Test
	void trackedPresenceReachesEveryEnabledMemberIncludingItself() {
		// given alice and bob joined with presence enabled
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"track\"}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		JsonNode meta = alice.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		assertThat(withoutRefs(meta)).isEqualTo(json("{}"));
	}

	@Test
	void identicalRetrackIsRepliedOkWithoutDiff() {
		// given alice tracked, seen by bob
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame(null, "2", this.topic, "presence",
				"{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
		assertThat(alice.next(event("presence_diff")).get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	// §3.3 presence keys

	@Test
	void customStringKeyIsThePresenceKey() {
		PhoenixSocket alice = connect();
		alice.send(join(this.topic, "1", config("userId-123", true)));
		alice.reply("1");
		alice.send(track(this.topic, "1", "2", "{}"));
		assertThat(alice.next(event("presence_diff")).get(4).get("joins").propertyNames())
			.containsExactly("userId-123");
	}

	@Test
	void customNumberKeyIsItsDecimalText() {
		PhoenixSocket alice = connect();
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
		PhoenixSocket client = connect();
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
		PhoenixSocket first = connect();
		first.send(join(this.topic, "1", config("shared", true)));
		first.reply("1");
		first.send(track(this.topic, "1", "2", "{\"tab\":1}"));
		first.reply("2");
		PhoenixSocket second = connect();
		second.send(join(this.topic, "1", config("shared", true)));
		second.reply("1");
		second.send(track(this.topic, "1", "2", "{\"tab\":2}"));
		second.reply("2");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.presenceService.get(this.topic, "shared").size() == 2);
		// when an observer joins
		PhoenixSocket observer = joined(this.topic, "observer");
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
		PhoenixSocket observer = joined(this.topic, "observer");
		PhoenixSocket silent = connect();
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

	// §3.2 presence push replies

	@ParameterizedTest
	@ValueSource(strings = { "\"just a string\"", "[1,2]", "42" })
	void trackPayloadThatIsNotAnObjectIsAnError(String payload) {
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", payload));
		assertThat(alice.reply("2")).isEqualTo(json("""
				["1","2","%s","phx_reply",{"status":"error","response":{"reason":"Presence track payload must be a map"}}]"""
			.formatted(this.topic)));
		assertThat(this.presenceService.get(this.topic, "alice")).isEmpty();
	}

	@Test
	void unknownPresenceEventIsAnError() {
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"foo\"}"));
		JsonNode reply = alice.reply("2");
		assertThat(reply.get(0).asString()).isEqualTo("1");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void presencePushWithoutEventIsOkAndDoesNothing() {
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"payload\":{\"a\":1}}"));
		assertThat(alice.reply("2").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
		// the next diff is the one of a real track
		alice.send(track(this.topic, "1", "3", "{\"b\":2}"));
		JsonNode meta = alice.next(event("presence_diff")).get(4).get("joins").get("alice").get("metas").get(0);
		assertThat(withoutRefs(meta)).isEqualTo(json("{\"b\":2}"));
	}

	@Test
	void trackEventIsCaseInsensitive() {
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "presence", "{\"type\":\"presence\",\"event\":\"TRACK\",\"payload\":{}}"));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
	}

}
