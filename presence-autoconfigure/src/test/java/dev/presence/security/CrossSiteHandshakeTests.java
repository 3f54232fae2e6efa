package dev.presence.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.ServletTransportOnly;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With no {@code presence.allowed-origins} configured, a handshake that the browser
 * authenticated with a session cookie is accepted only from the application's own origin,
 * so no other web page can act as the logged-in user; handshakes that carry their
 * credential in a header are accepted from any origin.
 */
@ServletTransportOnly
@SpringBootTest(classes = { PresenceTestApplication.class, CrossSiteHandshakeTests.FormLogin.class },
		webEnvironment = WebEnvironment.RANDOM_PORT, properties = { "presence.store=memory" })
class CrossSiteHandshakeTests {

	private static final String OTHER_SITE = "https://attacker.example";

	@LocalServerPort
	private int port;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private String sessionCookie = "";

	@BeforeEach
	void logIn() throws Exception {
		HttpResponse<Void> response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + "/login"))
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(HttpRequest.BodyPublishers.ofString("username=alice&password=alice-password"))
				.build(), HttpResponse.BodyHandlers.discarding());
		this.sessionCookie = response.headers()
			.allValues("Set-Cookie")
			.stream()
			.filter((cookie) -> cookie.startsWith("JSESSIONID="))
			.map((cookie) -> cookie.substring(0, cookie.indexOf(';')))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no session after logging in: " + response.headers()));
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void cookieAuthenticatedHandshakeFromAnotherSiteIsRefusedWith403() {
		assertThat(PhoenixSocket.refusedStatus(this.port, "apikey=anon-key", "Cookie", this.sessionCookie, "Origin",
				OTHER_SITE))
			.isEqualTo(403);
	}

	@Test
	void cookieAuthenticatedHandshakeFromTheSameOriginJoins() {
		PhoenixSocket socket = connect("Cookie", this.sessionCookie, "Origin", "http://localhost:" + this.port);
		socket.join("realtime:same-origin", "1", "alice");
	}

	@Test
	void cookieAuthenticatedHandshakeWithoutOriginJoins() {
		// not a browser: no page of another site can be behind it
		PhoenixSocket socket = connect("Cookie", this.sessionCookie);
		socket.join("realtime:no-origin", "1", "alice");
	}

	@Test
	void headerAuthenticatedHandshakeFromAnotherSiteJoins() {
		String basic = "Basic "
				+ Base64.getEncoder().encodeToString("alice:alice-password".getBytes(StandardCharsets.UTF_8));
		PhoenixSocket socket = connect("Authorization", basic, "Origin", OTHER_SITE);
		socket.join("realtime:header", "1", "alice");
	}

	private PhoenixSocket connect(String... headers) {
		PhoenixSocket socket = PhoenixSocket.connect(this.port, "apikey=anon-key", headers);
		this.sockets.add(socket);
		return socket;
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebSecurity
	static class FormLogin {

		@Bean
		SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
			// the login form's CSRF token is beside the point here: the handshake is a GET
			return http.authorizeHttpRequests((requests) -> requests.anyRequest().authenticated())
				.formLogin(Customizer.withDefaults())
				.httpBasic(Customizer.withDefaults())
				.csrf((csrf) -> csrf.disable())
				.build();
		}

		@Bean
		InMemoryUserDetailsManager users() {
			return new InMemoryUserDetailsManager(
					User.withUsername("alice").password("{noop}alice-password").roles("USER").build());
		}

	}

}
