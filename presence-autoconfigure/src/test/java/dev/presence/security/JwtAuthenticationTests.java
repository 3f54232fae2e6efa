package dev.presence.security;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.JwtDecoder;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients authenticated by JWT through the application's {@link JwtDecoder}
 * (docs/protocol.md §2.2, §2.4, §2.8), with presence keys bound to the {@code sub} claim.
 */
@SpringBootTest(classes = { PresenceTestApplication.class, JwtAuthenticationTests.TestBeans.class },
		webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.security.key-binding=claim" })
class JwtAuthenticationTests {

	private static final Pattern EXPIRED = Pattern.compile("InvalidJWTToken: Token has expired (\\d+) seconds ago");

	@PresencePort
	private int port;

	@Autowired
	private PresenceAuthenticator authenticator;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String topic;

	JwtAuthenticationTests(TestInfo info) {
		this.topic = "realtime:" + info.getTestMethod().orElseThrow().getName();
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void jwtAuthenticatorIsTheAuthenticatorWhenTheApplicationHasAJwtDecoder() {
		assertThat(this.authenticator).isInstanceOf(JwtPresenceAuthenticator.class);
	}

	@Test
	void joinWithAValidAccessTokenIsAcceptedAndTracksUnderItsSubject() {
		PhoenixSocket alice = connect("apikey=anon-key");
		// when alice joins with her token and tracks without choosing a key
		alice.send(Frames.join(this.topic, "1", Frames.config(null, false), aliceToken()));
		assertThat(alice.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		alice.track(this.topic, "1", "2", "{\"online\":true}");
		// then her presence is keyed by her token's sub
		JsonNode diff = alice.next(Frames.event("presence_diff"));
		assertThat(diff.get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	@Test
	void joinWithoutAccessTokenIsAuthenticatedByTheApiKey() {
		PhoenixSocket alice = connect("apikey=" + aliceToken());
		alice.send(Frames.join(this.topic, "1", Frames.config(null, false), null));
		assertThat(alice.reply("1").get(4).get("status").asString()).isEqualTo("ok");
	}

	@Test
	void supabaseApiKeyAsAccessTokenFallsBackToTheApiKey() {
		// sb_ values are Supabase API keys, not JWTs: Supabase then uses the socket's token
		PhoenixSocket alice = connect("apikey=" + aliceToken());
		alice.send(Frames.join(this.topic, "1", Frames.config(null, false), "sb_publishable_abc"));
		assertThat(alice.reply("1").get(4).get("status").asString()).isEqualTo("ok");
	}

	@Test
	void joinWithoutAnyCredentialIsRefusedAsUnauthorized() {
		PhoenixSocket client = connect("");
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), null));
		assertThat(client.errorReason("1")).isEqualTo("Unauthorized: You must provide an access token");
	}

	@Test
	void expiredTokenIsRefusedWithTheSecondsSinceItExpired() {
		PhoenixSocket client = connect("apikey=anon-key");
		String token = TestTokens.token("alice", Instant.now().minusSeconds(120));
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), token));
		assertThat(secondsAgo(client.errorReason("1"))).isBetween(119L, 130L);
	}

	@Test
	void tokenExpiredWithinTheDecodersClockSkewIsRefusedToo() {
		// NimbusJwtDecoder tolerates 60 s of skew; Supabase does not
		PhoenixSocket client = connect("apikey=anon-key");
		String token = TestTokens.token("alice", Instant.now().minusSeconds(10));
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), token));
		assertThat(secondsAgo(client.errorReason("1"))).isBetween(9L, 20L);
	}

	@Test
	void tokenThatIsNotAJwtIsRefusedAsMalformed() {
		PhoenixSocket client = connect("apikey=anon-key");
		for (String token : List.of("not-a-jwt", "a.b.c", "e30.e30", "e30.W10.", "x.y.z.w.v")) {
			client.send(Frames.join(this.topic, "1", Frames.config(null, false), token));
			assertThat(client.errorReason("1")).as(token).isEqualTo("MalformedJWT: The token provided is not a valid JWT");
		}
	}

	@Test
	void tokenSignedWithAnotherKeyIsRefusedWithASignatureError() {
		PhoenixSocket client = connect("apikey=anon-key");
		String forged = TestTokens.sign(TestTokens.OTHER_SECRET, Map.of("sub", "alice", "role", "authenticated"),
				Instant.now().plusSeconds(3600));
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), forged));
		assertThat(client.errorReason("1")).isEqualTo("JwtSignatureError: Failed to validate JWT signature");
	}

	@Test
	void unsignedTokenIsRefusedWithASignatureError() {
		PhoenixSocket client = connect("apikey=anon-key");
		String valid = aliceToken();
		String unsigned = "eyJhbGciOiJub25lIn0." + valid.split("\\.")[1] + ".";
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), unsigned));
		assertThat(client.errorReason("1")).isEqualTo("JwtSignatureError: Failed to validate JWT signature");
	}

	@Test
	void tokenWithoutExpiryIsRefusedBecauseExpIsRequired() {
		PhoenixSocket client = connect("apikey=anon-key");
		String eternal = TestTokens.sign(TestTokens.SECRET, Map.of("sub", "alice"), null);
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), eternal));
		assertThat(client.errorReason("1")).isEqualTo("InvalidJWTToken: Field `exp` is required in JWT");
	}

	@Test
	void joinAskingForAnotherKeyThanItsSubjectIsRefused() {
		PhoenixSocket alice = connect("apikey=anon-key");
		alice.send(Frames.join(this.topic, "1", Frames.config("bob", false), aliceToken()));
		assertThat(alice.errorReason("1")).isEqualTo("Unauthorized: You may only track presence under your own key");
		alice.send(Frames.join(this.topic, "2", Frames.config("alice", false), aliceToken()));
		assertThat(alice.reply("2").get(4).get("status").asString()).isEqualTo("ok");
	}

	@Test
	void badAccessTokenPushClosesTheChannelWithASystemMessageAndItsPresenceLeaves() {
		// given alice tracked and bob watching
		PhoenixSocket alice = joinedWith(aliceToken());
		alice.track(this.topic, "1", "2", "{\"v\":1}");
		PhoenixSocket bob = connect("apikey=anon-key");
		PhoenixSocket.PresenceView view = bob.watch(this.topic);
		bob.send(Frames.join(this.topic, "1", Frames.config(null, false), bobToken()));
		PhoenixSocket.eventually().until(() -> view.states().containsKey("alice"));
		// when alice pushes a token that is not a JWT
		alice.send(Frames.accessToken(this.topic, "1", "3", "garbage"));
		// then no reply, a system error naming the reason, and phx_close with her join ref
		JsonNode system = alice.next(Frames.event("system"));
		assertThat(system.get(0).asString()).isEqualTo("1");
		assertThat(system.get(4)).isEqualTo(Frames.json("""
				{"extension":"system","status":"error","message":"MalformedJWT: The token provided is not a valid JWT",
				"channel":"%s"}""".formatted(this.topic.substring("realtime:".length()))));
		JsonNode close = alice.next(Frames.event("phx_close"));
		assertThat(close.get(0).asString()).isEqualTo("1");
		assertThat(close.get(1).asString()).isEqualTo("1");
		assertThat(alice.received()).noneMatch(Frames.event("phx_reply").and(Frames.ref("3")));
		// and bob sees alice leave
		PhoenixSocket.eventually().until(() -> !view.states().containsKey("alice"));
	}

	@Test
	void forgedAccessTokenPushClosesTheChannel() {
		PhoenixSocket alice = joinedWith(aliceToken());
		String forged = TestTokens.sign(TestTokens.OTHER_SECRET, Map.of("sub", "alice"),
				Instant.now().plusSeconds(3600));
		alice.send(Frames.accessToken(this.topic, "1", "3", forged));
		assertThat(alice.next(Frames.event("system")).get(4).get("message").asString())
			.isEqualTo("JwtSignatureError: Failed to validate JWT signature");
		alice.next(Frames.event("phx_close"));
	}

	@Test
	void tokenThatExpiresWhileJoinedClosesTheChannel() {
		// given alice joined and tracked with a token that expires in 2 s
		PhoenixSocket alice = joinedWith(TestTokens.token("alice", Instant.now().plusSeconds(2)));
		alice.track(this.topic, "1", "2", "{\"v\":1}");
		// then, once it expired, the channel is closed with Supabase's message
		JsonNode system = alice.next(Frames.event("system"), Duration.ofSeconds(6));
		assertThat(system.get(4).get("message").asString()).matches("Token has expired \\d+ seconds ago");
		alice.next(Frames.event("phx_close"));
		// and her presence is gone for a newcomer
		PhoenixSocket bob = connect("apikey=anon-key");
		PhoenixSocket.PresenceView view = bob.watch(this.topic);
		bob.send(Frames.join(this.topic, "1", Frames.config(null, false), bobToken()));
		bob.reply("1");
		PhoenixSocket.eventually().until(() -> bob.received().stream().anyMatch(Frames.event("presence_state")));
		assertThat(view.states()).doesNotContainKey("alice");
	}

	@Test
	void freshAccessTokenPushKeepsTheChannelOpenPastTheOldExpiry() {
		PhoenixSocket alice = joinedWith(TestTokens.token("alice", Instant.now().plusSeconds(2)));
		// when alice refreshes her token before it expires
		alice.send(Frames.accessToken(this.topic, "1", "3", aliceToken()));
		// then the channel outlives the first token (heartbeats keep the connection busy)
		Instant firstExpiry = Instant.now().plusSeconds(3);
		int[] ref = { 100 };
		await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250)).until(() -> {
			alice.send(Frames.heartbeat(String.valueOf(ref[0]++)));
			return Instant.now().isAfter(firstExpiry);
		});
		alice.send(Frames.heartbeat("999"));
		alice.reply("999");
		assertThat(alice.received()).noneMatch(Frames.event("system").or(Frames.event("phx_close")));
	}

	private PhoenixSocket joinedWith(String token) {
		PhoenixSocket client = connect("apikey=anon-key");
		client.send(Frames.join(this.topic, "1", Frames.config(null, false), token));
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		return client;
	}

	private PhoenixSocket connect(String query) {
		PhoenixSocket socket = PhoenixSocket.connect(this.port, query);
		this.sockets.add(socket);
		return socket;
	}

	private static long secondsAgo(String reason) {
		Matcher matcher = EXPIRED.matcher(reason);
		assertThat(matcher.matches()).as(reason).isTrue();
		return Long.parseLong(matcher.group(1));
	}

	private static String aliceToken() {
		return TestTokens.token("alice", Instant.now().plusSeconds(3600));
	}

	private static String bobToken() {
		return TestTokens.token("bob", Instant.now().plusSeconds(3600));
	}

	@Configuration(proxyBeanMethods = false)
	static class TestBeans {

		@Bean
		JwtDecoder jwtDecoder() {
			return TestTokens.decoder();
		}

	}

}
