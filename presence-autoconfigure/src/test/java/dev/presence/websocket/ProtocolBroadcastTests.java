package dev.presence.websocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.beans.factory.annotation.Autowired;

import dev.presence.core.BroadcastService;
import dev.presence.core.ClientBroadcastEvent;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import static dev.presence.test.PhoenixSocket.Frames.broadcast;
import static dev.presence.test.PhoenixSocket.Frames.event;
import static dev.presence.test.PhoenixSocket.Frames.frame;
import static dev.presence.test.PhoenixSocket.Frames.heartbeat;
import static dev.presence.test.PhoenixSocket.Frames.json;
import static dev.presence.test.PhoenixSocket.Frames.ref;
import static dev.presence.test.PhoenixSocket.Frames.track;
import static dev.presence.test.PhoenixSocket.Frames.userBroadcastPush;
import static dev.presence.test.PhoenixSocket.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Broadcast (docs/protocol.md §8): a client's {@code broadcast} push, as text under
 * either version or as a binary user broadcast push under 2.0.0, reaches the other
 * members of the topic; {@code config.broadcast.self} and {@code .ack}; the limits and
 * the authorizer's say; broadcasts sent from server code; the opt-in application event.
 * <p>
 * Real WebSocket clients sending raw Phoenix frames (see {@link ProtocolTestSupport},
 * whose application allows 20 broadcasts per second and 4 KB payloads, refuses broadcasts
 * from topics named {@code …-readonly} and delivers none in topics named {@code …-muted}).
 * Where a test shows that a client was not sent a broadcast, a later frame that goes the
 * same way (a server broadcast or a diff) is awaited first, so nothing is still on its way.
 */
class ProtocolBroadcastTests extends ProtocolTestSupport {

	@Autowired
	BroadcastService broadcasts;

	ProtocolBroadcastTests(TestInfo info) {
		super(info);
	}

	@Test
	void broadcastReachesTheOtherMembersButNotTheSender() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		// when alice broadcasts a cursor position
		alice.send(broadcast(this.topic, "1", "2", "cursor", "{\"x\":10,\"y\":20}"));
		// then bob gets it as supabase-js expects it
		assertThat(bob.next(event("broadcast"))).isEqualTo(json("""
				[null,null,"%s","broadcast",{"type":"broadcast","event":"cursor","payload":{"x":10,"y":20}}]"""
			.formatted(this.topic)));
		// and alice, once a later broadcast reached her, was not sent her own
		this.broadcasts.send(this.topic, "marker", Map.of()).join();
		alice.next(broadcastEvent("marker"));
		assertThat(broadcastsOf(alice, "cursor")).isEmpty();
		// nor a reply, as ack is off
		assertThat(alice.received()).noneMatch(ref("2"));
	}

	@Test
	void senderWithSelfReceivesItsOwnBroadcast() {
		PhoenixSocket alice = member(this.topic, "alice", true, false);
		alice.send(broadcast(this.topic, "1", "2", "typing", "{\"typing\":true}"));
		JsonNode own = alice.next(event("broadcast"));
		assertThat(own.get(4).get("event").asString()).isEqualTo("typing");
		assertThat(own.get(4).get("payload")).isEqualTo(json("{\"typing\":true}"));
	}

	@Test
	void senderWithAckIsRepliedOkUnderItsRef() {
		PhoenixSocket alice = member(this.topic, "alice", false, true);
		alice.send(broadcast(this.topic, "1", "7", "reaction", "{\"emoji\":\"🎉\"}"));
		JsonNode reply = alice.reply("7");
		assertThat(reply).isEqualTo(json("""
				["1","7","%s","phx_reply",{"status":"ok","response":{}}]""".formatted(this.topic)));
	}

	@Test
	void broadcastsOfOneSenderArriveInTheOrderTheyWereSent() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		for (int i = 0; i < 15; i++) {
			alice.send(broadcast(this.topic, "1", String.valueOf(10 + i), "seq", "{\"n\":" + i + "}"));
		}
		eventually().until(() -> broadcastsOf(bob, "seq").size() == 15);
		assertThat(broadcastsOf(bob, "seq")).extracting((frame) -> frame.get(4).get("payload").get("n").asInt())
			.containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
	}

	@Test
	void clientsOfVersionOneSendAndReceiveBroadcastsAsObjects() {
		PhoenixSocket alice = member(connect("vsn=1.0.0"), this.topic, "alice", false, false, true);
		PhoenixSocket bob = member(connect("vsn=1.0.0"), this.topic, "bob", false, false, true);
		alice.send("""
				{"topic":"%s","event":"broadcast","payload":{"type":"broadcast","event":"hello","payload":[1,"two",null]},"ref":"3","join_ref":"1"}"""
			.formatted(this.topic));
		bob.next(event("broadcast"));
		String text = bob.texts().stream().filter((frame) -> frame.contains("\"hello\"")).findFirst().orElseThrow();
		assertThat(json(text)).isEqualTo(json("""
				{"topic":"%s","event":"broadcast","payload":{"type":"broadcast","event":"hello","payload":[1,"two",null]},"ref":null}"""
			.formatted(this.topic)));
	}

	@Test
	void binaryPushWithJsonPayloadReachesMembersOfBothVersionsAsText() {
		PhoenixSocket alice = member(this.topic, "alice", false, true);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		PhoenixSocket carol = member(connect("vsn=1.0.0"), this.topic, "carol", false, false, true);
		// when alice sends the user broadcast push supabase-js sends for channel.send()
		alice.sendBinary(userBroadcastPush("1", "5", this.topic, "cursor", 1,
				"{\"x\":1,\"name\":\"Zoë\"}".getBytes(StandardCharsets.UTF_8)));
		// then her ack comes under the push's ref, and both others get it as a text broadcast
		assertThat(alice.reply("5").get(4).get("status").asString()).isEqualTo("ok");
		JsonNode toBob = bob.next(event("broadcast"));
		assertThat(toBob.get(4)).isEqualTo(json("""
				{"type":"broadcast","event":"cursor","payload":{"x":1,"name":"Zoë"}}"""));
		assertThat(carol.next(event("broadcast")).get(4)).isEqualTo(toBob.get(4));
	}

	@Test
	void binaryPayloadReachesMembersOfVersionTwoAsAUserBroadcastFrame() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		PhoenixSocket carol = member(connect("vsn=1.0.0"), this.topic, "carol", false, false, true);
		byte[] bytes = { 0, 1, 2, (byte) 0xFF, (byte) 0xFE };
		alice.sendBinary(userBroadcastPush("1", "5", this.topic, "blob", 0, bytes));
		// then bob gets the binary user broadcast (kind 4) with the bytes as they were
		JsonNode toBob = bob.next(event("broadcast"));
		assertThat(toBob.get(2).asString()).isEqualTo(this.topic);
		assertThat(toBob.get(4).get("binaryFrame").asBoolean()).isTrue();
		assertThat(toBob.get(4).get("event").asString()).isEqualTo("blob");
		assertThat(Base64.getDecoder().decode(toBob.get(4).get("payload").asString())).isEqualTo(bytes);
		// and carol, of version 1.0.0, which has no binary frames, is not sent it
		this.broadcasts.send(this.topic, "marker", Map.of()).join();
		carol.next(broadcastEvent("marker"));
		assertThat(broadcastsOf(carol, "blob")).isEmpty();
	}

	@Test
	void payloadOverTheLimitIsRefusedWithAnErrorReplyAndNotSent() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		// when alice broadcasts more than presence.limits.max-broadcast-payload-size (4KB)
		alice.send(broadcast(this.topic, "1", "2", "big", "{\"pad\":\"" + "x".repeat(5000) + "\"}"));
		// then she is answered with an error, even without ack
		assertThat(alice.errorReason("2")).startsWith("payload_size_exceeded");
		// and nobody got it; the channel is still joined
		this.broadcasts.send(this.topic, "marker", Map.of()).join();
		bob.next(broadcastEvent("marker"));
		assertThat(broadcastsOf(bob, "big")).isEmpty();
		alice.send(broadcast(this.topic, "1", "3", "small", "{}"));
		bob.next(broadcastEvent("small"));
	}

	@Test
	void tooManyBroadcastsPerSecondCloseTheChannelAsSupabaseDoes() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		// when alice sends more than presence.limits.max-broadcasts-per-second (20) at once
		for (int i = 0; i < 30; i++) {
			alice.sendIgnoringFailure(broadcast(this.topic, "1", String.valueOf(10 + i), "spam", "{}"));
		}
		// then the channel is closed with the system message, and the connection stays
		JsonNode system = alice.next(event("system"));
		assertThat(system.get(4).get("message").asString()).isEqualTo("Too many messages per second");
		alice.next(event("phx_close"));
		alice.send(heartbeat("99"));
		alice.reply("99");
	}

	@Test
	void clientTheAuthorizerDoesNotLetBroadcastGetsAnErrorReply() {
		String topic = this.topic + "-readonly";
		PhoenixSocket alice = member(topic, "alice", false, false);
		PhoenixSocket bob = member(topic, "bob", false, false);
		alice.send(broadcast(topic, "1", "2", "cursor", "{}"));
		assertThat(alice.errorReason("2")).isEqualTo(
				"Unauthorized: You do not have permissions to write to this Channel topic: " + this.name + "-readonly");
		this.broadcasts.send(topic, "marker", Map.of()).join();
		bob.next(broadcastEvent("marker"));
		assertThat(broadcastsOf(bob, "cursor")).isEmpty();
	}

	@Test
	void membersTheAuthorizerDoesNotLetReceiveAreNotSentBroadcasts() {
		String topic = this.topic + "-muted";
		PhoenixSocket alice = member(topic, "alice", false, true);
		PhoenixSocket bob = member(topic, "bob", false, false);
		bob.send(track(topic, "1", "2", "{}"));
		bob.reply("2");
		alice.next(event("presence_diff"));
		// when a client and the server broadcast
		alice.send(broadcast(topic, "1", "3", "cursor", "{}"));
		alice.reply("3");
		this.broadcasts.send(topic, "news", Map.of()).join();
		// then, once a later diff reached bob, he had been sent neither
		alice.send(track(topic, "1", "4", "{}"));
		alice.reply("4");
		bob.next(event("presence_diff").and((frame) -> frame.get(4).get("joins").has("alice")));
		assertThat(broadcastsOf(bob, "cursor")).isEmpty();
		assertThat(broadcastsOf(bob, "news")).isEmpty();
	}

	@Test
	void broadcastOnAPrivateChannelReachesItsMembersNotThoseOfThePublicOneOfTheSameName() {
		String topic = this.topic + "-vip";
		PhoenixSocket alice = privateMember(topic, "alice");
		PhoenixSocket bob = privateMember(topic, "bob");
		PhoenixSocket outsider = member(topic, "outsider", false, false);
		alice.send(broadcast(topic, "1", "2", "secret", "{}"));
		bob.next(broadcastEvent("secret"));
		// the public channel of that name is another topic: a broadcast there is the marker
		this.broadcasts.send(topic, "marker", Map.of()).join();
		outsider.next(broadcastEvent("marker"));
		assertThat(broadcastsOf(outsider, "secret")).isEmpty();
		// server code names the private topic with its prefix
		this.broadcasts.send("private:" + topic, "inside", Map.of()).join();
		bob.next(broadcastEvent("inside"));
		assertThat(broadcastsOf(bob, "marker")).isEmpty();
	}

	@Test
	void serverBroadcastReachesEveryMemberOfBothVersions() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(connect("vsn=1.0.0"), this.topic, "bob", false, false, true);
		// when server code broadcasts
		this.broadcasts.send(this.topic, "announcement", Map.of("text", "maintenance at 5")).join();
		// then every member gets it, the sender left out of nobody
		assertThat(alice.next(event("broadcast"))).isEqualTo(json("""
				[null,null,"%s","broadcast",{"type":"broadcast","event":"announcement","payload":{"text":"maintenance at 5"}}]"""
			.formatted(this.topic)));
		assertThat(bob.next(event("broadcast")).get(4).get("payload").get("text").asString())
			.isEqualTo("maintenance at 5");
	}

	@Test
	void serverBroadcastOfBytesReachesMembersOfVersionTwoAsBinary() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		this.broadcasts.send(this.topic, "frame", new byte[] { 9, 8, 7 }).join();
		JsonNode frame = alice.next(event("broadcast"));
		assertThat(frame.get(4).get("binaryFrame").asBoolean()).isTrue();
		assertThat(Base64.getDecoder().decode(frame.get(4).get("payload").asString())).containsExactly(9, 8, 7);
	}

	@Test
	void serverBroadcastToWhatIsNotAChannelTopicIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.broadcasts.send("room_01", "x", Map.of()));
		assertThatIllegalArgumentException().isThrownBy(() -> this.broadcasts.send(this.topic, "", Map.of()));
	}

	@Test
	void clientBroadcastIsPublishedAsAnApplicationEventOnce() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		member(this.topic, "bob", false, false);
		alice.send(broadcast(this.topic, "1", "2", "chat", "{\"text\":\"hi\"}"));
		eventually().until(() -> this.events.broadcasts(this.topic).size() == 1);
		ClientBroadcastEvent event = this.events.broadcasts(this.topic).get(0);
		assertThat(event.event()).isEqualTo("chat");
		assertThat(event.key()).isEqualTo("alice");
		assertThat(event.payload().json()).isEqualTo("{\"text\":\"hi\"}");
		assertThat(event.payload().as(Map.class)).isEqualTo(Map.of("text", "hi"));
	}

	@Test
	void broadcastWithoutAnEventNameGetsAnErrorReply() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		alice.send(frame("1", "2", this.topic, "broadcast", "{\"type\":\"broadcast\",\"payload\":{}}"));
		assertThat(alice.errorReason("2")).isEqualTo("InvalidBroadcast: event must be a non-empty string");
	}

	@Test
	void malformedBinaryPushesGetAnErrorReplyAndTheConnectionStays() {
		PhoenixSocket alice = member(this.topic, "alice", false, false);
		PhoenixSocket bob = member(this.topic, "bob", false, false);
		byte[] truncated = userBroadcastPush("1", "5", this.topic, "cursor", 1, "{}".getBytes(StandardCharsets.UTF_8));
		truncated[3] = (byte) 250;
		alice.sendBinary(truncated);
		alice.next(event("phx_reply").and((frame) -> "error".equals(frame.get(4).get("status").asString())));
		alice.sendBinary(userBroadcastPush("1", "6", this.topic, "cursor", 1, "{nope".getBytes(StandardCharsets.UTF_8)));
		assertThat(alice.errorReason("6")).startsWith("malformed frame");
		alice.sendBinary(userBroadcastPush("1", "7", this.topic, "cursor", 1,
				"\"\\ud800\"".getBytes(StandardCharsets.UTF_8)));
		assertThat(alice.errorReason("7")).contains("unpaired surrogate");
		alice.sendBinary(userBroadcastPush("1", "8", this.topic, "cursor", 7, new byte[0]));
		assertThat(alice.errorReason("8")).contains("unknown payload encoding");
		// and a good one still goes through
		alice.sendBinary(userBroadcastPush("1", "9", this.topic, "ok", 1, "{}".getBytes(StandardCharsets.UTF_8)));
		bob.next(broadcastEvent("ok"));
		assertThat(broadcastsOf(bob, "cursor")).isEmpty();
	}

	@Test
	void binaryFrameFromAClientOfVersionOneGetsAnErrorReply() {
		PhoenixSocket alice = member(connect("vsn=1.0.0"), this.topic, "alice", false, false, true);
		alice.sendBinary(userBroadcastPush("1", "5", this.topic, "cursor", 1, "{}".getBytes(StandardCharsets.UTF_8)));
		JsonNode error = alice.next(event("phx_reply"));
		assertThat(error.get(4).get("response").get("reason").asString())
			.contains("binary frames are read only under protocol version 2.0.0");
	}

	private PhoenixSocket member(String topic, String key, boolean self, boolean ack) {
		return member(connect(), topic, key, self, ack);
	}

	private PhoenixSocket privateMember(String topic, String key) {
		PhoenixSocket client = connect();
		client.send(join(topic, "1", Frames.config(key, true, true)));
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		return client;
	}

	private PhoenixSocket member(PhoenixSocket client, String topic, String key, boolean self, boolean ack) {
		return member(client, topic, key, self, ack, false);
	}

	/**
	 * Join with presence on and the broadcast options, as a client of either version, and
	 * wait for the reply.
	 */
	private PhoenixSocket member(PhoenixSocket client, String topic, String key, boolean self, boolean ack,
			boolean versionOne) {
		ObjectNode config = (ObjectNode) json(config(key, true));
		config.putObject("broadcast").put("self", self).put("ack", ack);
		if (versionOne) {
			client.send("""
					{"topic":"%s","event":"phx_join","payload":{"config":%s},"ref":"1","join_ref":"1"}"""
				.formatted(topic, config));
		}
		else {
			client.send(join(topic, "1", config.toString()));
		}
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		return client;
	}

	private static Predicate<JsonNode> broadcastEvent(String name) {
		return event("broadcast").and((frame) -> name.equals(frame.get(4).get("event").asString()));
	}

	private static List<JsonNode> broadcastsOf(PhoenixSocket client, String name) {
		List<JsonNode> found = new ArrayList<>();
		for (JsonNode frame : client.received()) {
			if (broadcastEvent(name).test(frame)) {
				found.add(frame);
			}
		}
		return found;
	}

}
