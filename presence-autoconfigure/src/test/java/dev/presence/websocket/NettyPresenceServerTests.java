package dev.presence.websocket;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.presence.core.PresenceService;
import dev.presence.test.TestTransport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * What is particular to the Reactor Netty transport: it serves presence in place of the
 * servlet endpoint, or in an application with no web server at all; its handshake rules;
 * and its stop. (The protocol itself is tested on both transports by the protocol and
 * security suites.)
 */
class NettyPresenceServerTests {

	private static final HttpClient http = HttpClient.newHttpClient();

	private static final String JOIN = "[\"1\",\"1\",\"realtime:room\",\"phx_join\",{\"config\":{\"presence\":{\"key\":\"ada\"}}}]";

	private static final String TRACK = "[\"1\",\"2\",\"realtime:room\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"at\":1}}]";

	@Test
	void presenceIsServedOnItsOwnPortInsteadOfTheApplicationsOwn() throws Exception {
		try (ConfigurableApplicationContext context = start(WebApplicationType.SERVLET)) {
			int webPort = ((WebServerApplicationContext) context).getWebServer().getPort();
			int presencePort = TestTransport.port(context.getEnvironment());
			assertThat(presencePort).isNotEqualTo(webPort);
			assertThat(refusedStatus(uri(webPort, "vsn=2.0.0"))).isEqualTo(404);
			Client client = Client.connect(uri(presencePort, "vsn=2.0.0"));
			client.socket.sendText(JOIN, true).join();
			client.socket.sendText(TRACK, true).join();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> context.getBean(PresenceService.class).list("realtime:room").containsKey("ada"));
			client.socket.abort();
		}
	}

	@Test
	void applicationWithoutAWebServerServesPresenceAndItsStopClosesConnectionsWith1001() throws Exception {
		ConfigurableApplicationContext context = start(WebApplicationType.NONE);
		try {
			Client client = Client.connect(uri(TestTransport.port(context.getEnvironment()), "vsn=1.0.0"));
			client.socket.sendText("{\"topic\":\"realtime:room\",\"event\":\"phx_join\",\"payload\":{},\"ref\":\"1\"}",
					true).join();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> context.getBean(PresenceConnections.class).channelCount() == 1);
			context.close();
			assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
		}
		finally {
			context.close();
		}
	}

	@Test
	void handshakeFollowsTheSameRulesAsTheServletEndpoint() throws Exception {
		try (ConfigurableApplicationContext context = start(WebApplicationType.NONE,
				"presence.allowed-origins=https://*.example.com")) {
			int port = TestTransport.port(context.getEnvironment());
			HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
					+ "/realtime/v1/websocket")).build(), HttpResponse.BodyHandlers.ofString());
			assertThat(plain.statusCode()).isEqualTo(400);
			HttpResponse<String> elsewhere = http.send(
					HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/elsewhere")).build(),
					HttpResponse.BodyHandlers.ofString());
			assertThat(elsewhere.statusCode()).isEqualTo(404);
			assertThat(refusedStatus(uri(port, "vsn=3.0.0"))).isEqualTo(400);
			assertThat(refusedStatus(uri(port, "vsn=2.0.0"), "Origin", "https://evil.example.org")).isEqualTo(403);
			Client.connect(uri(port, "vsn=2.0.0"), "Origin", "https://app.example.com").socket.abort();
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

	private static ConfigurableApplicationContext start(WebApplicationType type, String... more) {
		return new SpringApplicationBuilder(TestApplication.class).web(type)
			.properties("presence.store=memory", "presence.server.port=0", "server.port=0",
					"spring.main.banner-mode=off")
			.properties(more)
			.run();
	}

	private static URI uri(int port, String query) {
		return URI.create("ws://localhost:" + port + "/realtime/v1/websocket?" + query);
	}

	private static int refusedStatus(URI uri, String... headers) {
		CompletionException refused = catchThrowableOfType(CompletionException.class,
				() -> Client.connect(uri, headers));
		assertThat(refused).as("the handshake was refused").isNotNull();
		assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
		return ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode();
	}

	private static final class Client implements WebSocket.Listener {

		private final CompletableFuture<Integer> closed = new CompletableFuture<>();

		private WebSocket socket;

		static Client connect(URI uri, String... headers) {
			Client client = new Client();
			WebSocket.Builder builder = http.newWebSocketBuilder();
			for (int i = 0; i < headers.length; i += 2) {
				builder.header(headers[i], headers[i + 1]);
			}
			client.socket = builder.buildAsync(uri, client).orTimeout(10, TimeUnit.SECONDS).join();
			return client;
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

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration(
			excludeName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
					"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
					"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration" })
	static class TestApplication {

	}

}
