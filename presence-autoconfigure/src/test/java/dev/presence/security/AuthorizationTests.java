package dev.presence.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.NestedTestConfiguration;
import org.springframework.test.context.NestedTestConfiguration.EnclosingConfiguration;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PhoenixSocket.PresenceView;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An application's {@link PresenceAuthorizer} deciding who joins which topic and tracks
 * what (docs/protocol.md §5.5, §5.6). Clients are named by their {@code apikey} here, by a
 * test authenticator.
 */
@SpringBootTest(classes = { PresenceTestApplication.class, AuthorizationTests.TestBeans.class },
		webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "presence.store=memory")
class AuthorizationTests {

	@PresencePort
	private int port;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String name;

	private final String topic;

	AuthorizationTests(TestInfo info) {
		this.name = info.getTestMethod().orElseThrow().getName();
		this.topic = "realtime:" + this.name;
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void customAuthorizerRefusesATopicWithSupabasesReason() {
		PhoenixSocket bob = connect("bob");
		bob.send(Frames.join("realtime:staff-room", "1", Frames.config(null, false), null));
		assertThat(bob.errorReason("1"))
			.isEqualTo("Unauthorized: You do not have permissions to read from this Channel topic: staff-room");
	}

	@Test
	void customAuthorizerAdmitsTheClientsItChooses() {
		PhoenixSocket admin = connect("admin");
		admin.join("realtime:staff-room", "1", "admin");
	}

	@Test
	void privateChannelIsAllowedByACustomAuthorizer() {
		PhoenixSocket admin = connect("admin");
		admin.send(Frames.join(this.topic, "1", Frames.config("admin", true), null));
		assertThat(admin.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		assertThat(admin.next(Frames.event("presence_state")).get(4)).isEqualTo(Frames.json("{}"));
	}

	@Test
	void privateChannelIsRefusedToWhomTheAuthorizerRefusesIt() {
		PhoenixSocket bob = connect("bob");
		bob.send(Frames.join(this.topic, "1", Frames.config("bob", true), null));
		assertThat(bob.errorReason("1"))
			.isEqualTo("Unauthorized: You do not have permissions to read from this Channel topic: " + this.name);
	}

	@Test
	void privateAndPublicTopicsOfTheSameNameNeverSeeEachOthersPresences() {
		// given admin in the private room_a and alice in the public room_a, both watching
		PhoenixSocket admin = connect("admin");
		PresenceView privateView = admin.watch("realtime:room_a");
		admin.send(Frames.join("realtime:room_a", "1", Frames.config("admin", true), null));
		admin.reply("1");
		PhoenixSocket alice = connect("alice");
		PresenceView publicView = alice.watch("realtime:room_a");
		alice.join("realtime:room_a", "1", "alice");
		// when both track
		admin.track("realtime:room_a", "1", "2", "{\"side\":\"private\"}");
		alice.track("realtime:room_a", "1", "2", "{\"side\":\"public\"}");
		// then each sees only its own side, now and for a while after
		PhoenixSocket.eventually().until(() -> privateView.states().containsKey("admin"));
		PhoenixSocket.eventually().until(() -> publicView.states().containsKey("alice"));
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> privateView.states().keySet()
			.equals(java.util.Set.of("admin")) && publicView.states().keySet().equals(java.util.Set.of("alice")));
		// and a newcomer on either side is sent only that side's state
		PhoenixSocket carol = connect("admin");
		carol.send(Frames.join("realtime:room_a", "1", Frames.config("admin", false), null));
		assertThat(carol.next(Frames.event("presence_state")).get(4).propertyNames()).containsExactly("alice");
		assertThat(carol.received()).noneMatch((frame) -> frame.toString().contains("private"));
		assertThat(alice.received()).noneMatch((frame) -> frame.toString().contains("\"private\""));
		assertThat(admin.received()).noneMatch((frame) -> frame.toString().contains("\"public\""));
	}

	@Test
	void trackTheAuthorizerRefusesGetsAnErrorReplyAndIsNotTracked() {
		// given alice joined, and an observer
		PhoenixSocket alice = connect("alice");
		alice.join(this.topic, "1", "alice");
		PhoenixSocket observer = connect("admin");
		PresenceView view = observer.watch(this.topic);
		observer.join(this.topic, "1", "admin");
		// when alice tracks a state only admins may track
		alice.send(Frames.track(this.topic, "1", "2", "{\"badge\":\"moderator\"}"));
		// then she gets an error reply
		assertThat(alice.errorReason("2")).startsWith("Unauthorized: ");
		// and a later allowed track is the only presence anyone sees
		alice.track(this.topic, "1", "3", "{\"badge\":\"none\"}");
		PhoenixSocket.eventually().until(() -> view.states().containsKey("alice"));
		assertThat(view.states().get("alice")).containsExactly(Frames.json("{\"badge\":\"none\"}"));
		assertThat(observer.received()).noneMatch((frame) -> frame.toString().contains("moderator"));
	}

	@Test
	void broadcastRightsFollowTheTokenAClientRefreshesTo() {
		String topic = "realtime:announce-" + this.name;
		PhoenixSocket bob = connect("bob");
		bob.join(topic, "1", "bob");
		PhoenixSocket alice = connect("alice");
		alice.join(topic, "1", "alice");
		// bob may not announce
		bob.send(Frames.frame("1", "2", topic, "broadcast", "{\"type\":\"broadcast\",\"event\":\"news\",\"payload\":1}"));
		assertThat(bob.errorReason("2")).startsWith("Unauthorized: You do not have permissions to write");
		// until he refreshes to a token the authorizer lets broadcast; frames are handled in order
		bob.send(Frames.accessToken(topic, "1", "3", "admin"));
		bob.send(Frames.frame("1", "4", topic, "broadcast", "{\"type\":\"broadcast\",\"event\":\"news\",\"payload\":2}"));
		JsonNode news = alice.next(Frames.event("broadcast"));
		assertThat(news.get(4).get("payload").asInt()).isEqualTo(2);
		assertThat(alice.received()).filteredOn(Frames.event("broadcast")).hasSize(1);
	}

	private PhoenixSocket connect(String user) {
		PhoenixSocket socket = PhoenixSocket.connect(this.port, "apikey=" + user);
		this.sockets.add(socket);
		return socket;
	}

	/**
	 * The default authorizer, with no application authorizer.
	 */
	@Nested
	@NestedTestConfiguration(EnclosingConfiguration.OVERRIDE)
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = "presence.store=memory")
	class DefaultAuthorizer {

		@PresencePort
		private int defaultPort;

		@Test
		void privateChannelIsRefusedByDefault() {
			PhoenixSocket client = PhoenixSocket.connect(this.defaultPort);
			AuthorizationTests.this.sockets.add(client);
			client.send(Frames.join("realtime:room_01", "1", Frames.config(null, true), null));
			assertThat(client.errorReason("1"))
				.isEqualTo("Unauthorized: You do not have permissions to read from this Channel topic: room_01");
		}

		@Test
		void publicChannelIsAllowedByDefault() {
			PhoenixSocket client = PhoenixSocket.connect(this.defaultPort);
			AuthorizationTests.this.sockets.add(client);
			client.join("realtime:room_01", "1", "");
		}

	}


	@Configuration(proxyBeanMethods = false)
	static class TestBeans {

		/**
		 * Names the client after its access token, or else its apikey.
		 */
		@Bean
		PresenceAuthenticator apiKeyAuthenticator() {
			return (principal, apiKey, accessToken) -> new PresenceIdentity((accessToken != null) ? accessToken : apiKey,
					Map.of(), null);
		}

		/**
		 * Staff topics and private channels are for admin (private ones for nobody else);
		 * only admin may wear a moderator badge, or broadcast in announcement topics.
		 */
		@Bean
		PresenceAuthorizer staffAuthorizer() {
			return new PresenceAuthorizer() {

				@Override
				public boolean canJoin(PresenceIdentity identity, String topic, boolean privateChannel) {
					boolean admin = "admin".equals(identity.name());
					return admin || (!privateChannel && !topic.startsWith("realtime:staff-"));
				}

				@Override
				public boolean canTrack(PresenceIdentity identity, String topic, String key,
						Map<String, @Nullable Object> state) {
					return "admin".equals(identity.name()) || !"moderator".equals(state.get("badge"));
				}

				@Override
				public boolean canSendBroadcast(PresenceIdentity identity, String topic, boolean privateChannel) {
					return "admin".equals(identity.name()) || !topic.startsWith("realtime:announce-");
				}

			};
		}

	}

}
