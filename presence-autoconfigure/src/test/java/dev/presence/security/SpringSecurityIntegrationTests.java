package dev.presence.security;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.beans.factory.annotation.Autowired;
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

/**
 * The endpoint behind an application's {@link SecurityFilterChain} that requires HTTP
 * Basic authentication: the handshake is refused without credentials, and the principal
 * it authenticated becomes the presence key ({@code presence.security.key-binding=principal}).
 */
@ServletTransportOnly
@SpringBootTest(classes = { PresenceTestApplication.class, SpringSecurityIntegrationTests.TestBeans.class },
		webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.security.key-binding=principal" })
class SpringSecurityIntegrationTests {

	@LocalServerPort
	private int port;

	@Autowired
	private PresenceAuthenticator authenticator;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String topic;

	SpringSecurityIntegrationTests(TestInfo info) {
		this.topic = "realtime:" + info.getTestMethod().orElseThrow().getName();
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void anonymousHandshakeIsRefusedWith401() {
		assertThat(PhoenixSocket.refusedStatus(this.port, "apikey=anon-key")).isEqualTo(401);
	}

	@Test
	void handshakeWithAWrongPasswordIsRefusedWith401() {
		assertThat(PhoenixSocket.refusedStatus(this.port, "apikey=anon-key", "Authorization", basic("alice", "nope")))
			.isEqualTo(401);
	}

	@Test
	void authenticatedHandshakeJoinsAndTracksUnderTheUsername() {
		// given alice connected with HTTP Basic
		PhoenixSocket alice = connect("alice");
		// when she joins without choosing a key and tracks
		alice.join(this.topic, "1", "");
		alice.track(this.topic, "1", "2", "{\"online\":true}");
		// then her presence is keyed by her username
		JsonNode diff = alice.next(Frames.event("presence_diff"));
		assertThat(diff.get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	@Test
	void joinAskingForItsOwnKeyIsAccepted() {
		PhoenixSocket bob = connect("bob");
		bob.join(this.topic, "1", "bob");
	}

	@Test
	void joinAskingForAnotherUsersKeyIsRefused() {
		PhoenixSocket alice = connect("alice");
		alice.send(Frames.join(this.topic, "1", Frames.config("bob", false), null));
		assertThat(alice.errorReason("1")).isEqualTo("Unauthorized: You may only track presence under your own key");
	}

	@Test
	void withoutAJwtDecoderTheDefaultAuthenticatorTrustsTheHandshakePrincipal() {
		assertThat(this.authenticator).isNotInstanceOf(JwtPresenceAuthenticator.class);
		assertThat(this.authenticator.authenticate(() -> "carol", null, null).name()).isEqualTo("carol");
	}

	private PhoenixSocket connect(String user) {
		PhoenixSocket socket = PhoenixSocket.connect(this.port, "apikey=anon-key", "Authorization",
				basic(user, user + "-password"));
		this.sockets.add(socket);
		return socket;
	}

	private static String basic(String user, String password) {
		return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	static class TestBeans {

		@Bean
		SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
			return http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated())
				.httpBasic(Customizer.withDefaults())
				.build();
		}

		@Bean
		InMemoryUserDetailsManager users() {
			return new InMemoryUserDetailsManager(
					User.withUsername("alice").password("{noop}alice-password").roles("USER").build(),
					User.withUsername("bob").password("{noop}bob-password").roles("USER").build());
		}

	}

}
