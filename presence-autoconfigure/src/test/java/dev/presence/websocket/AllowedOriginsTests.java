package dev.presence.websocket;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code presence.allowed-origins} patterns, read as Spring reads them, decide which
 * origins may open the WebSocket.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.allowed-origins=https://*.example.com" })
class AllowedOriginsTests {

	@PresencePort
	private int port;

	@Test
	void handshakeFromAnOriginNotAllowedIsRefusedWith403() {
		assertThat(PhoenixSocket.refusedStatus(this.port, "apikey=anon-key", "Origin", "https://evil.example.org"))
			.isEqualTo(403);
	}

	@Test
	void handshakeFromAnOriginMatchingAPatternJoins() {
		PhoenixSocket socket = PhoenixSocket.connect(this.port, "apikey=anon-key", "Origin", "https://app.example.com");
		socket.join("realtime:origins", "1", "ada");
		socket.close();
	}

}
