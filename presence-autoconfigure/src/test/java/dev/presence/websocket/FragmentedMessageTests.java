package dev.presence.websocket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.RawWebSocket;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client may send a text or binary message in several frames (RFC 6455 §5.4), and cut
 * it anywhere, inside a character too: the server reads the message whole, and holds the
 * message, not each frame, to the maximum frame size.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.max-frame-size=4KB" })
class FragmentedMessageTests {

	private static final String TOPIC = "realtime:fragments";

	@PresencePort
	private int port;

	@Test
	void messageSentInFragmentsThatSplitACharacterIsReadWhole() throws IOException {
		try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key", 65536)) {
			byte[] join = Frames.join(TOPIC, "1", Frames.config("zoë", false), null).getBytes(StandardCharsets.UTF_8);
			int inKey = indexOf(join, "ë".getBytes(StandardCharsets.UTF_8)) + 1;
			client.sendFragment(RawWebSocket.TEXT, Arrays.copyOfRange(join, 0, inKey), false);
			client.sendFragment(RawWebSocket.CONTINUATION, Arrays.copyOfRange(join, inKey, join.length), true);
			assertThat(readUntil(client, Frames.ref("1")).get(4).get("status").asString()).isEqualTo("ok");

			byte[] track = Frames.track(TOPIC, "1", "2", "{\"mood\":\"🙂 naïve\"}").getBytes(StandardCharsets.UTF_8);
			int inEmoji = indexOf(track, "🙂".getBytes(StandardCharsets.UTF_8)) + 2;
			int inWord = indexOf(track, "ï".getBytes(StandardCharsets.UTF_8)) + 1;
			client.sendFragment(RawWebSocket.TEXT, Arrays.copyOfRange(track, 0, inEmoji), false);
			client.sendFragment(RawWebSocket.CONTINUATION, Arrays.copyOfRange(track, inEmoji, inWord), false);
			client.sendFragment(RawWebSocket.CONTINUATION, new byte[0], false);
			client.sendFragment(RawWebSocket.CONTINUATION, Arrays.copyOfRange(track, inWord, track.length), true);

			JsonNode diff = readUntil(client, Frames.event("presence_diff"));
			JsonNode joined = diff.get(4).get("joins").get("zoë");
			assertThat(joined).as("the diff's joins: %s", diff).isNotNull();
			assertThat(joined.get("metas").get(0).get("mood").asString()).isEqualTo("🙂 naïve");
		}
	}

	@Test
	void binaryBroadcastSentInFragmentsIsReadWhole() throws IOException {
		try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key&vsn=2.0.0", 65536)) {
			String topic = TOPIC + "-binary";
			client.sendText(Frames.frame("1", "1", topic, "phx_join",
					"{\"config\":{\"broadcast\":{\"self\":true},\"presence\":{\"key\":\"ada\"}}}"));
			assertThat(readUntil(client, Frames.ref("1")).get(4).get("status").asString()).isEqualTo("ok");

			// a user broadcast push (binary) cut inside its header, inside a character and inside the payload
			byte[] push = Frames.userBroadcastPush("1", "2", topic, "cursor", 1,
					"{\"name\":\"Zoë\",\"x\":42}".getBytes(StandardCharsets.UTF_8));
			int inHeader = 4;
			int inName = indexOf(push, "ë".getBytes(StandardCharsets.UTF_8)) + 1;
			client.sendFragment(RawWebSocket.BINARY, Arrays.copyOfRange(push, 0, inHeader), false);
			client.sendFragment(RawWebSocket.CONTINUATION, Arrays.copyOfRange(push, inHeader, inName), false);
			client.sendFragment(RawWebSocket.CONTINUATION, Arrays.copyOfRange(push, inName, push.length), true);

			JsonNode own = readUntil(client, Frames.event("broadcast"));
			assertThat(own.get(4)).isEqualTo(Frames.json("""
					{"type":"broadcast","event":"cursor","payload":{"name":"Zoë","x":42}}"""));
		}
	}

	@Test
	void binaryFragmentsAddingUpPastTheMaximumFrameSizeCloseTheConnectionWith1009() throws IOException {
		try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key&vsn=2.0.0", 65536)) {
			byte[] part = new byte[1024];
			client.sendFragment(RawWebSocket.BINARY, part, false);
			for (int i = 0; i < 4; i++) {
				client.sendFragment(RawWebSocket.CONTINUATION, part, false);
			}
			assertThat(client.readCloseStatus()).isEqualTo(1009);
		}
	}

	@Test
	void fragmentsAddingUpPastTheMaximumFrameSizeCloseTheConnectionWith1009() throws IOException {
		try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key", 65536)) {
			byte[] part = new byte[1024];
			Arrays.fill(part, (byte) ' ');
			client.sendFragment(RawWebSocket.TEXT, part, false);
			for (int i = 0; i < 4; i++) {
				client.sendFragment(RawWebSocket.CONTINUATION, part, false);
			}
			assertThat(client.readCloseStatus()).isEqualTo(1009);
		}
	}

	private static JsonNode readUntil(RawWebSocket client, Predicate<JsonNode> wanted) throws IOException {
		while (true) {
			JsonNode frame = Frames.json(client.readText());
			if (wanted.test(frame)) {
				return frame;
			}
		}
	}

	private static int indexOf(byte[] bytes, byte[] part) {
		for (int i = 0; i + part.length <= bytes.length; i++) {
			if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
				return i;
			}
		}
		throw new IllegalArgumentException("not found");
	}

}
