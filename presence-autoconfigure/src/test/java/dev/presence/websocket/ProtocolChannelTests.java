package dev.presence.websocket;

import java.net.http.WebSocket;
import java.time.Duration;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.presence.test.PhoenixSocket;
import tools.jackson.databind.JsonNode;

import static dev.presence.test.PhoenixSocket.Frames.event;
import static dev.presence.test.PhoenixSocket.Frames.frame;
import static dev.presence.test.PhoenixSocket.Frames.heartbeat;
import static dev.presence.test.PhoenixSocket.Frames.json;
import static dev.presence.test.PhoenixSocket.Frames.ref;
import static dev.presence.test.PhoenixSocket.Frames.track;
import static dev.presence.test.PhoenixSocket.Frames.untrack;
import static dev.presence.test.PhoenixSocket.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channels (docs/protocol.md §2, §4): the join and its reply with the presence state,
 * join validation, channel bookkeeping, leaving and closing.
 * <p>
 * Real WebSocket clients sending raw Phoenix frames, on a real server with the in-memory
 * store (see {@link ProtocolTestSupport}).
 */
class ProtocolChannelTests extends ProtocolTestSupport {

	ProtocolChannelTests(TestInfo info) {
		super(info);
	}

	// §2.3, §3.4 join reply and presence_state

	@Test
	void joinWithPresenceEnabledIsRepliedOkThenSentThePresenceState() {
		// given a client
		PhoenixSocket client = connect();
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
		PhoenixSocket client = connect();
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
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(track(this.topic, "1", "2", "{\"name\":\"Alice\",\"nested\":{\"list\":[1,2.5,null,\"ü\"]}}"));
		alice.reply("2");
		// when bob joins
		PhoenixSocket bob = connect();
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
		PhoenixSocket alice = joined(this.topic, "alice");
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
		PhoenixSocket client = connect();
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
		PhoenixSocket client = connect();
		client.send("[\"1\",\"1\",\"" + this.topic + "\",\"phx_join\",{}]");
		assertThat(client.reply("1").get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}"));
	}

	// join validation

	@Test
	void channelNameLongerThanTheMaximumIsRefusedWithTopicNameTooLong() {
		PhoenixSocket client = connect();
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
		PhoenixSocket client = connect();
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
		PhoenixSocket client = connect();
		client.send(join(this.topic, "1", "{\"presence\":{\"enabled\":true},\"private\":\"TRUE\"}"));
		assertThat(client.reply("1").get(4).get("response").get("reason").asString()).startsWith("Unauthorized:");
	}

	@Test
	void refsInATrackedStateAreTheServers() {
		// given alice and bob joined
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket client = connect();
		client.send(track(this.topic, "1", "2", "{}"));
		assertThat(client.reply("2")).isEqualTo(json("""
				[null,"2","%s","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""
			.formatted(this.topic)));
	}

	@Test
	void phxLeaveForATopicNotJoinedIsRepliedOk() {
		PhoenixSocket client = connect();
		client.send(frame("1", "2", this.topic, "phx_leave", "{}"));
		JsonNode reply = client.reply("2");
		assertThat(reply.get(2).asString()).isEqualTo(this.topic);
		assertThat(reply.get(4)).isEqualTo(json("{\"status\":\"ok\",\"response\":{}}"));
	}

	@Test
	void topicWithoutTheRealtimePrefixIsUnmatchedTopic() {
		PhoenixSocket client = connect();
		client.send(join("room_01", "1", config(null, true)));
		assertThat(client.reply("1")).isEqualTo(json("""
				[null,"1","room_01","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"""));
	}

	@Test
	void emptyTopicNameIsRefusedWithTopicNameRequired() {
		PhoenixSocket client = connect();
		client.send(join("realtime:", "1", config(null, true)));
		JsonNode reply = client.reply("1");
		assertThat(reply.get(0).asString()).isEqualTo("1");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
		assertThat(reply.get(4).get("response").get("reason").asString()).startsWith("TopicNameRequired");
	}

	@Test
	void privateChannelIsRefusedUnauthorized() {
		PhoenixSocket client = connect();
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
		PhoenixSocket alice = joined(this.topic, "alice");
		alice.send(frame("1", "2", this.topic, "access_token", "{\"access_token\":\"anon-key\"}"));
		alice.send(heartbeat("3"));
		alice.reply("3");
		assertThat(alice.received()).noneMatch(ref("2"));
	}

	// §2.6 channel bookkeeping

	@Test
	void joinOfATopicAlreadyJoinedClosesTheOldJoinThenRepliesToTheNewOne() {
		// given alice joined under join ref 1 and tracked
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
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

	// §4 leaving and closing

	@Test
	void phxLeaveIsRepliedOkThenClosedAndOthersSeeTheLeave() {
		// given alice tracked
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
		alice.send(track(this.topic, "1", "2", "{}"));
		bob.next(event("presence_diff"));
		// when her connection drops without a close handshake
		alice.abort();
		// then bob sees her leave
		assertThat(bob.next(event("presence_diff")).get(4).get("leaves").propertyNames()).containsExactly("alice");
	}

}
