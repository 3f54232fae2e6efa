package dev.presence.websocket;

import java.net.http.WebSocket;

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
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection (docs/protocol.md §1): refs and join refs, the heartbeat, the
 * serializer a client asks for.
 * <p>
 * Real WebSocket clients sending raw Phoenix frames, on a real server with the in-memory
 * store (see {@link ProtocolTestSupport}).
 */
class ProtocolConnectionTests extends ProtocolTestSupport {

	ProtocolConnectionTests(TestInfo info) {
		super(info);
	}

	// §1.4 refs: every reply echoes the ref of its push and carries the channel's join ref

	@Test
	void joinWhoseRefDiffersFromItsJoinRefIsAnsweredUnderBothRefs() {
		// given a client that gives its join a ref apart from its join ref, as some SDKs do
		PhoenixSocket client = connect();
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket client = connect();
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
		PhoenixSocket v1 = connect("apikey=anon-key&vsn=1.0.0");
		PhoenixSocket observer = joined(this.topic, "observer");
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
		PhoenixSocket v1 = connect("apikey=anon-key&vsn=1.0.0");
		v1.send("""
				{"topic":"%s","event":"phx_join","payload":{"config":{"presence":{"enabled":true}}},"ref":"4","join_ref":"3"}"""
			.formatted(this.topic));
		assertThat(v1.reply("4").get(4).get("status").asString()).isEqualTo("ok");
		v1.send("""
				{"topic":"%s","event":"presence","payload":{"type":"presence","event":"track","payload":{}},"ref":"5","join_ref":"3"}"""
			.formatted(this.topic));
		assertThat(v1.reply("5").get(4).get("status").asString()).isEqualTo("ok");
	}

	// §1.5 heartbeat

	@Test
	void heartbeatIsRepliedOk() {
		PhoenixSocket client = connect();
		client.send(heartbeat("12"));
		assertThat(client.nextFrame()).isEqualTo(json("""
				[null,"12","phoenix","phx_reply",{"status":"ok","response":{}}]"""));
	}

	// §1.3 serializer negotiation

	@Test
	void unsupportedVsnIsRefusedWithBadRequest() {
		assertThat(PhoenixSocket.refusedStatus(uri("vsn=3.0.0"))).isEqualTo(400);
	}

	@Test
	void missingVsnSpeaksVersionOneObjects() {
		PhoenixSocket client = connect("apikey=anon-key");
		client.send("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"8\"}");
		client.reply("8");
		assertThat(client.texts()).singleElement()
			.satisfies((text) -> assertThat(json(text)).isEqualTo(json("""
					{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"8"}""")));
	}

	@Test
	void versionOneSessionJoinsTracksAndReceivesDiffsAsObjectsWithoutJoinRef() {
		// given a 1.0.0 client and a 2.0.0 observer
		PhoenixSocket v1 = connect("apikey=anon-key&vsn=1.0.0");
		PhoenixSocket observer = joined(this.topic, "observer");
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

}
