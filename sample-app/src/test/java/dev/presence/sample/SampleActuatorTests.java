package dev.presence.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.presence.core.PresenceService;
import dev.presence.core.TrackedPresence;
import dev.presence.test.ThrowawayRedis;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the sample app's actuator shows an anonymous HTTP caller, as run with its own
 * {@code application.yml} against a real {@code redis-server}: health without details,
 * and nothing of who is online.
 */
@ThrowawayRedis
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
class SampleActuatorTests {

	private static final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private PresenceService presenceService;

	@Test
	void healthShowsTheStatusOnly() throws Exception {
		HttpResponse<String> health = get("/actuator/health");

		assertThat(health.statusCode()).isEqualTo(200);
		assertThat(health.body()).contains("\"status\":\"UP\"")
			.doesNotContain("components")
			.doesNotContain("details")
			.doesNotContain("nodeId")
			.doesNotContain("version");
	}

	@Test
	void anonymousCallerCannotReadWhoIsOnlineInAnyTopic() throws Exception {
		// given a presence in a public topic and one in a private channel's topic
		TrackedPresence ada = this.presenceService.track("realtime:lobby", "ada", Map.of("status", "online"));
		TrackedPresence bob = this.presenceService.track("private:realtime:vault", "bob",
				Map.of("status", "in-the-vault"));
		try {
			for (String path : new String[] { "/actuator/presence", "/actuator/presence/realtime:lobby",
					"/actuator/presence/private:realtime:vault", "/actuator/metrics" }) {
				HttpResponse<String> response = get(path);
				assertThat(response.statusCode()).as(path).isEqualTo(404);
				// (the 404 body repeats the path, so only keys and states are looked for)
				assertThat(response.body()).as(path)
					.doesNotContain("ada")
					.doesNotContain("bob")
					.doesNotContain("in-the-vault");
			}
		}
		finally {
			ada.untrack();
			bob.untrack();
		}
	}

	private HttpResponse<String> get(String path) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(10))
			.build();
		return http.send(request, HttpResponse.BodyHandlers.ofString());
	}

}
