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
import static dev.presence.test.PhoenixSocket.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limits a client is held to (docs/protocol.md §5.1).
 * <p>
 * Real WebSocket clients sending raw Phoenix frames, on a real server with the in-memory
 * store (see {@link ProtocolTestSupport}).
 */
class ProtocolLimitsTests extends ProtocolTestSupport {

	ProtocolLimitsTests(TestInfo info) {
		super(info);
	}

	// §5.1 limits

	@Test
	void trackOverTheMaximumStateSizeGetsSystemErrorThenCloseAndNoReply() {
		// given alice joined, and bob watching
		PhoenixSocket alice = joined(this.topic, "alice");
		PhoenixSocket bob = joined(this.topic, "bob");
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
		PhoenixSocket bob = joined(this.topic, "bob");
		bob.send(track(this.topic, "1", "2", "{}"));
		bob.reply("2");
		PhoenixSocket client = connect();
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
		PhoenixSocket client = connect();
		client.send("[null,\"5\",\"realtime:x\",\"ev\",[]]");
		JsonNode reply = client.reply("5");
		assertThat(reply.get(0).isNull()).isTrue();
		assertThat(reply.get(2).asString()).isEqualTo("realtime:x");
		assertThat(reply.get(4).get("status").asString()).isEqualTo("error");
	}

	@Test
	void nonJsonFrameIsRepliedOnThePhoenixTopic() {
		PhoenixSocket client = connect();
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
		PhoenixSocket alice = joined(this.topic, "alice");
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
		PhoenixSocket client = connect();
		// when a frame larger than presence.limits.max-frame-size (64KB) arrives
		client.sendIgnoringFailure("[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "x".repeat(70_000) + "\"}]");
		// then the connection is closed with 1009
		assertThat(client.closeCode(Duration.ofSeconds(5))).isEqualTo(1009);
	}

	@Test
	void frameLargerThanTheMaximumFrameSizeInUtf8BytesClosesTheConnectionWith1009() {
		PhoenixSocket client = connect();
		// when a frame of 40 000 three-byte characters (120 000 bytes) arrives, over the 64KB maximum
		client.sendIgnoringFailure("[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "€".repeat(40_000) + "\"}]");
		client.sendIgnoringFailure(heartbeat("2"));
		// then the connection is closed with 1009 instead of the frame being handled
		assertThat(client.closeCodeOrReply("2")).isEqualTo("closed 1009");
	}

	@Test
	void frameUnderTheMaximumFrameSizeSentInFragmentsIsHandled() {
		PhoenixSocket client = connect();
		String padded = "[null,\"1\",\"phoenix\",\"heartbeat\",{\"pad\":\"" + "x".repeat(20_000) + "\"}]";
		client.send(padded);
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
	}

}
