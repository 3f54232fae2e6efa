package dev.presence.websocket;

import java.io.IOException;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.RawWebSocket;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that offers {@code permessage-deflate}, as every browser does, is served
 * uncompressed unless {@code presence.compression.enabled} is set, and compressed when it
 * is.
 */
class CompressionTests {

	private static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

	private static final String JOIN = Frames.join("realtime:compressed", "1", Frames.config("deflater", false),
			null);

	@Nested
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = "presence.store=memory")
	class ByDefault {

		@PresencePort
		private int port;

		@Test
		void offeredCompressionIsDeclinedAndTheClientIsServed() throws IOException {
			try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key", 65536, OFFER)) {
				assertThat(client.handshakeResponse()).doesNotContainIgnoringCase("Sec-WebSocket-Extensions");
				client.sendText(JOIN);
				assertThat(Frames.json(client.readText()).get(4).get("status").asString()).isEqualTo("ok");
			}
		}

	}

	@Nested
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = { "presence.store=memory", "presence.compression.enabled=true" })
	class WhenEnabled {

		@PresencePort
		private int port;

		@Test
		void offeredCompressionIsAcceptedAndTheClientIsServedCompressedFrames() throws IOException {
			try (RawWebSocket client = RawWebSocket.connect(this.port, "apikey=anon-key", 65536, OFFER)) {
				assertThat(client.handshakeResponse()).containsIgnoringCase("Sec-WebSocket-Extensions: permessage-deflate");
				client.sendText(JOIN);
				assertThat(Frames.json(client.readText()).get(4).get("status").asString()).isEqualTo("ok");
			}
		}

	}

}
