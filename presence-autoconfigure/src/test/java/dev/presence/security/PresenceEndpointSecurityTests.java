package dev.presence.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.ServletTransportOnly;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code presence} actuator endpoint is no way around the {@link PresenceAuthorizer}:
 * over real HTTP, with real WebSocket clients in a public and a private channel, anonymous
 * and unprivileged callers see only the counts of the public topics this node follows,
 * while a caller in the configured role
 * ({@code management.endpoint.presence.show-states=when-authorized}) sees states and
 * private topics, by the names clients use.
 */
@ServletTransportOnly
@SpringBootTest(classes = { PresenceTestApplication.class, PresenceEndpointSecurityTests.TestBeans.class },
		webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "management.endpoints.web.exposure.include=presence",
				"management.endpoint.presence.show-states=when-authorized",
				"management.endpoint.presence.roles=PRESENCE_ADMIN" })
class PresenceEndpointSecurityTests {

	private static final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String publicTopic;

	private final String privateTopic;

	PresenceEndpointSecurityTests(TestInfo info) {
		this.publicTopic = "realtime:" + info.getTestMethod().orElseThrow().getName();
		this.privateTopic = this.publicTopic + "-vault";
	}

	@BeforeEach
	void aliceInAPublicChannelAndBobInAPrivateOne() {
		PhoenixSocket alice = PhoenixSocket.connect(this.port);
		this.sockets.add(alice);
		alice.join(this.publicTopic, "1", "alice");
		alice.track(this.publicTopic, "1", "2", "{\"status\":\"reading-mail\"}");
		PhoenixSocket bob = PhoenixSocket.connect(this.port);
		this.sockets.add(bob);
		bob.send(Frames.join(this.privateTopic, "1", Frames.config("bob", true), null));
		assertThat(bob.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		bob.track(this.privateTopic, "1", "2", "{\"status\":\"in-the-vault\"}");
		// both topics are followed and counted before anything is asserted about what is hidden
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			JsonNode topics = json(get("/actuator/presence", "admin"));
			assertThat(topicNamed(topics, this.publicTopic).get("presences").asInt()).isEqualTo(1);
			assertThat(topicNamed(topics, this.privateTopic).get("presences").asInt()).isEqualTo(1);
		});
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void anonymousCallerSeesTheCountsOfPublicTopicsOnly() {
		HttpResponse<String> response = get("/actuator/presence", null);

		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode topic = topicNamed(json(response), this.publicTopic);
		assertThat(topic.get("privateChannel").asBoolean()).isFalse();
		assertThat(topic.get("keys").asInt()).isEqualTo(1);
		assertThat(topic.get("presences").asInt()).isEqualTo(1);
		assertThat(response.body()).doesNotContain("vault").doesNotContain("private:");
	}

	@Test
	void anonymousCallerGetsTheCountsOfAPublicTopicButNotItsStates() {
		HttpResponse<String> response = get("/actuator/presence/" + this.publicTopic, null);

		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode topic = json(response);
		assertThat(topic.get("keys").asInt()).isEqualTo(1);
		assertThat(topic.get("presences").asInt()).isEqualTo(1);
		assertThat(topic.has("state")).isFalse();
		assertThat(response.body()).doesNotContain("alice").doesNotContain("reading-mail");
	}

	@Test
	void anonymousCallerCannotReadAPrivateTopicByAnyName() {
		assertThat(get("/actuator/presence/" + this.privateTopic + "?privateChannel=true", null).statusCode())
			.isEqualTo(404);
		// the name the store knows it by is no way in either
		HttpResponse<String> storeName = get("/actuator/presence/private:" + this.privateTopic, null);
		assertThat(storeName.statusCode()).isEqualTo(404);
		assertThat(storeName.body()).doesNotContain("bob").doesNotContain("in-the-vault");
	}

	@Test
	void anonymousCallerCannotMakeTheNodeReadATopicItDoesNotFollow() {
		assertThat(get("/actuator/presence/realtime:nobody-here", null).statusCode()).isEqualTo(404);
	}

	@Test
	void authenticatedCallerWithoutTheRoleSeesCountsOnly() {
		HttpResponse<String> topics = get("/actuator/presence", "alice");
		HttpResponse<String> topic = get("/actuator/presence/" + this.publicTopic, "alice");

		assertThat(topics.statusCode()).isEqualTo(200);
		assertThat(topics.body()).contains(this.publicTopic).doesNotContain("vault");
		assertThat(topic.statusCode()).isEqualTo(200);
		assertThat(json(topic).has("state")).isFalse();
		assertThat(get("/actuator/presence/" + this.privateTopic + "?privateChannel=true", "alice").statusCode())
			.isEqualTo(404);
	}

	@Test
	void callerInTheRoleSeesStatesAndPrivateTopicsByTheirWireNames() {
		HttpResponse<String> topics = get("/actuator/presence", "admin");
		HttpResponse<String> vault = get("/actuator/presence/" + this.privateTopic + "?privateChannel=true", "admin");
		HttpResponse<String> publicNamesake = get("/actuator/presence/" + this.privateTopic, "admin");

		assertThat(topicNamed(json(topics), this.privateTopic).get("privateChannel").asBoolean()).isTrue();
		assertThat(topics.body()).doesNotContain("private:");
		assertThat(vault.statusCode()).isEqualTo(200);
		JsonNode state = json(vault).get("state");
		assertThat(state.propertyNames()).containsExactly("bob");
		assertThat(state.get("bob").get(0).get("state").get("status").asString()).isEqualTo("in-the-vault");
		// the public channel of the same name is another topic, with nobody in it
		assertThat(publicNamesake.statusCode()).isEqualTo(200);
		assertThat(json(publicNamesake).get("keys").asInt()).isZero();
	}

	private HttpResponse<String> get(String path, @Nullable String user) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + path))
			.timeout(Duration.ofSeconds(10));
		if (user != null) {
			String credentials = user + ":" + user + "-password";
			request.header("Authorization",
					"Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
		}
		try {
			return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
		}
		catch (Exception ex) {
			throw new IllegalStateException("GET " + path + " failed", ex);
		}
	}

	private static JsonNode json(HttpResponse<String> response) {
		return PhoenixSocket.MAPPER.readTree(response.body());
	}

	private static JsonNode topicNamed(JsonNode topics, String name) {
		for (JsonNode topic : topics.get("topics")) {
			if (topic.get("topic").asString().equals(name)) {
				return topic;
			}
		}
		throw new AssertionError("no topic " + name + " in " + topics);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	static class TestBeans {

		/** Anyone may call, and may authenticate with HTTP Basic to be shown more. */
		@Bean
		SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
			return http.authorizeHttpRequests((requests) -> requests.anyRequest().permitAll())
				.httpBasic(Customizer.withDefaults())
				.build();
		}

		@Bean
		InMemoryUserDetailsManager users() {
			return new InMemoryUserDetailsManager(
					User.withUsername("admin").password("{noop}admin-password").roles("PRESENCE_ADMIN").build(),
					User.withUsername("alice").password("{noop}alice-password").roles("USER").build());
		}

		/** Private channels are open to every client here: the endpoint must still hide them. */
		@Bean
		PresenceAuthorizer everyoneMayJoinPrivateChannels() {
			return (identity, topic, privateChannel) -> true;
		}

	}

}
