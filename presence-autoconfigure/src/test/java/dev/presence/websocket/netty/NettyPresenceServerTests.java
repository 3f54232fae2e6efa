package dev.presence.websocket.netty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.presence.core.PresenceService;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.TestTransport;
import dev.presence.websocket.PresenceConnections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What is particular to the Reactor Netty transport: it serves presence in place of the
 * servlet endpoint, or in an application with no web server at all; its answers to plain
 * HTTP; its stop; its reading of origin patterns. (The protocol, the handshake's rules and
 * the limits are tested on both transports by the protocol, websocket and security
 * suites.)
 */
class NettyPresenceServerTests {

	private static final HttpClient http = HttpClient.newHttpClient();

	@Test
	void presenceIsServedOnItsOwnPortInsteadOfTheApplicationsOwn() {
		try (ConfigurableApplicationContext context = start(WebApplicationType.SERVLET)) {
			int webPort = ((WebServerApplicationContext) context).getWebServer().getPort();
			int presencePort = TestTransport.port(context.getEnvironment());
			assertThat(presencePort).isNotEqualTo(webPort);
			assertThat(PhoenixSocket.refusedStatus(webPort, "apikey=anon-key")).isEqualTo(404);
			PhoenixSocket client = PhoenixSocket.connect(presencePort);
			client.join("realtime:room", "1", "ada");
			client.track("realtime:room", "1", "2", "{\"at\":1}");
			PhoenixSocket.eventually()
				.until(() -> context.getBean(PresenceService.class).list("realtime:room").containsKey("ada"));
			client.close();
		}
	}

	@Test
	void applicationWithoutAWebServerServesPresenceAndItsStopClosesConnectionsWith1001() {
		ConfigurableApplicationContext context = start(WebApplicationType.NONE);
		try {
			PhoenixSocket client = PhoenixSocket.connect(TestTransport.port(context.getEnvironment()));
			client.join("realtime:room", "1", "ada");
			PhoenixSocket.eventually().until(() -> context.getBean(PresenceConnections.class).channelCount() == 1);
			context.close();
			assertThat(client.closeCode(Duration.ofSeconds(10))).isEqualTo(1001);
		}
		finally {
			context.close();
		}
	}

	@Test
	void requestsThatAreNotAnUpgradeAtTheEndpointAreAnsweredAsHttp() throws Exception {
		try (ConfigurableApplicationContext context = start(WebApplicationType.NONE)) {
			int port = TestTransport.port(context.getEnvironment());
			HttpResponse<String> plain = http.send(
					HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/realtime/v1/websocket")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(plain.statusCode()).isEqualTo(400);
			HttpResponse<String> elsewhere = http.send(
					HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/elsewhere")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(elsewhere.statusCode()).isEqualTo(404);
		}
	}

	@Test
	void originPatternsReadAsSpringReadsThem() {
		assertThat(NettyPresenceServer.originPattern("*").matcher("https://anything").matches()).isTrue();
		assertThat(NettyPresenceServer.originPattern("https://*.example.com").matcher("https://a.example.com").matches())
			.isTrue();
		assertThat(NettyPresenceServer.originPattern("https://*.example.com").matcher("http://a.example.com").matches())
			.isFalse();
		assertThat(NettyPresenceServer.originPattern("http://localhost:[*]").matcher("http://localhost:5173").matches())
			.isTrue();
		assertThat(NettyPresenceServer.originPattern("http://localhost:[*]").matcher("http://localhost").matches())
			.isTrue();
		assertThat(NettyPresenceServer.originPattern("https://example.com").matcher("https://example.com.evil").matches())
			.isFalse();
	}

	@Test
	void connectionThatNeverSendsItsRequestIsClosedAfterTheIdleTimeout() throws IOException {
		try (ConfigurableApplicationContext context = start(WebApplicationType.NONE,
				"presence.limits.idle-timeout=1s"); Socket socket = new Socket()) {
			socket.setSoTimeout(10_000);
			socket.connect(new InetSocketAddress("localhost", TestTransport.port(context.getEnvironment())), 5000);
			long start = System.nanoTime();
			// nothing sent: the server ends the connection (a read past the 10 s timeout would throw)
			assertThat(socket.getInputStream().read()).isEqualTo(-1);
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
		}
	}

	@Test
	void portInUseFailsTheStartSayingWhichPortAndProperty() throws IOException {
		try (ServerSocket taken = new ServerSocket(0)) {
			Throwable failure = catchThrowable(
					() -> start(WebApplicationType.NONE, "presence.server.port=" + taken.getLocalPort()));
			assertThat(failure).hasStackTraceContaining("could not listen on port " + taken.getLocalPort())
				.hasStackTraceContaining("presence.server.port");
		}
	}

	private static ConfigurableApplicationContext start(WebApplicationType type, String... properties) {
		return new SpringApplicationBuilder(PresenceTestApplication.class).web(type)
			.properties("presence.store=memory", "presence.server.port=0", "server.port=0",
					"spring.main.banner-mode=off")
			.properties(properties)
			.run();
	}

}
