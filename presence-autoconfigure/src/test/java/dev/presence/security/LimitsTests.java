package dev.presence.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.core.PresenceLimitExceededException;
import dev.presence.core.PresenceService;
import dev.presence.engine.PresenceTopics;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PhoenixSocket.PresenceView;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import dev.presence.websocket.PresenceConnections;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Every limit of {@code presence.limits.*} (docs/protocol.md §5.1), set small, and what a
 * client sees when it passes it.
 */
class LimitsTests {

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String name;

	private final String topic;

	LimitsTests(TestInfo info) {
		this.name = info.getTestMethod().orElseThrow().getName();
		this.topic = "realtime:" + this.name;
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	PhoenixSocket connect(int port, String... headers) {
		PhoenixSocket socket = PhoenixSocket.connect(port, "apikey=anon-key", headers);
		this.sockets.add(socket);
		return socket;
	}

	/**
	 * Limits of one connection and its channels.
	 */
	@Nested
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = { "presence.store=memory", "presence.limits.max-channels-per-connection=3",
					"presence.limits.max-joins-per-second=5", "presence.limits.max-presences-per-topic=3",
					"presence.limits.max-state-size=1KB", "presence.limits.max-frame-size=8KB",
					"presence.limits.max-state-size-per-connection=2KB",
					"presence.limits.track-coalesce-window=500ms", "presence.limits.max-presence-messages=20",
					"presence.limits.presence-message-window=10s" })
	class ConnectionLimits {

		@PresencePort
		private int port;

		@Test
		void joinPastMaxChannelsPerConnectionIsRefused() {
			PhoenixSocket client = connect(this.port);
			client.join(LimitsTests.this.topic + "-1", "1", "");
			client.join(LimitsTests.this.topic + "-2", "2", "");
			client.join(LimitsTests.this.topic + "-3", "3", "");
			client.send(Frames.join(LimitsTests.this.topic + "-4", "4", Frames.config(null, false), null));
			assertThat(client.errorReason("4")).isEqualTo("ChannelRateLimitReached: Too many channels");
			// leaving one makes room again
			client.send(Frames.frame("3", "5", LimitsTests.this.topic + "-3", "phx_leave", "{}"));
			client.reply("5");
			client.join(LimitsTests.this.topic + "-4", "6", "");
		}

		@Test
		void joinPastMaxJoinsPerSecondIsRefused() {
			PhoenixSocket client = connect(this.port);
			// five joins (each a rejoin of the same topic) within the second are served...
			for (int ref = 1; ref <= 5; ref++) {
				client.join(LimitsTests.this.topic, String.valueOf(ref), "");
			}
			// ...the sixth is not
			client.send(Frames.join(LimitsTests.this.topic, "6", Frames.config(null, false), null));
			assertThat(client.errorReason("6")).isEqualTo("ClientJoinRateLimitReached: Too many joins per second");
		}

		@Test
		void trackPastMaxPresencesPerTopicGetsAnErrorReply() {
			for (int i = 1; i <= 3; i++) {
				PhoenixSocket member = connect(this.port);
				member.join(LimitsTests.this.topic, "1", "member-" + i);
				member.track(LimitsTests.this.topic, "1", "2", "{\"i\":" + i + "}");
			}
			PhoenixSocket fourth = connect(this.port);
			fourth.join(LimitsTests.this.topic, "1", "member-4");
			fourth.send(Frames.track(LimitsTests.this.topic, "1", "2", "{\"i\":4}"));
			assertThat(fourth.errorReason("2")).startsWith("TooManyPresences");
			// the channel stays joined: nothing else came
			assertThat(fourth.received()).noneMatch(Frames.event("phx_close").or(Frames.event("system")));
		}

		@Test
		void trackLargerThanMaxStateSizeClosesTheChannelWithASystemMessage() {
			PhoenixSocket client = connect(this.port);
			client.join(LimitsTests.this.topic, "1", "big");
			client.send(Frames.track(LimitsTests.this.topic, "1", "2", "{\"blob\":\"" + "x".repeat(2048) + "\"}"));
			JsonNode system = client.next(Frames.event("system"));
			assertThat(system.get(4).get("message").asString()).isEqualTo("Track message size exceeded");
			assertThat(system.get(4).get("channel").asString()).isEqualTo(LimitsTests.this.name);
			client.next(Frames.event("phx_close"));
			assertThat(client.received()).noneMatch(Frames.event("phx_reply").and(Frames.ref("2")));
		}

		@Test
		void trackPastMaxStateSizePerConnectionGetsAnErrorReplyAndKeepsThePresence() {
			// given a connection that tracks 2 x 900 bytes of state on two channels
			String state = "{\"blob\":\"" + "x".repeat(888) + "\"}";
			PhoenixSocket client = connect(this.port);
			PhoenixSocket observer = connect(this.port);
			PresenceView view = observer.watch(LimitsTests.this.topic + "-3");
			observer.join(LimitsTests.this.topic + "-3", "1", "observer");
			for (int i = 1; i <= 3; i++) {
				client.join(LimitsTests.this.topic + "-" + i, "j" + i, "budget");
			}
			client.track(LimitsTests.this.topic + "-1", "j1", "t1", state);
			client.track(LimitsTests.this.topic + "-2", "j2", "t2", state);
			client.track(LimitsTests.this.topic + "-3", "j3", "t3", "{\"small\":true}");
			// when a third large state would take the connection past 2 KB
			client.send(Frames.track(LimitsTests.this.topic + "-3", "j3", "t4", state));
			// then it is refused with a reason, the channel stays joined and others still see the
			// presence it had
			assertThat(client.errorReason("t4"))
				.isEqualTo("TrackedStateLimitReached: The presences tracked on this connection would exceed 2048 bytes"
						+ " of state");
			assertThat(client.received()).noneMatch(Frames.event("phx_close").or(Frames.event("system")));
			PhoenixSocket.eventually()
				.until(() -> view.states().equals(Map.of("budget", List.of(Frames.json("{\"small\":true}")))));
			// and once another channel lets its state go, the same track fits
			client.send(Frames.untrack(LimitsTests.this.topic + "-1", "j1", "u1"));
			client.reply("u1");
			client.track(LimitsTests.this.topic + "-3", "j3", "t5", state);
			PhoenixSocket.eventually()
				.until(() -> view.states().equals(Map.of("budget", List.of(Frames.json(state)))));
		}

		@Test
		void frameLargerThanMaxFrameSizeClosesTheConnectionWith1009() {
			PhoenixSocket client = connect(this.port);
			client.send(Frames.heartbeat("x".repeat(16 * 1024)));
			assertThat(client.closeCode(Duration.ofSeconds(10))).isEqualTo(1009);
		}

		@Test
		void rapidRetracksAllGetOkAndObserversSeeOnlyTheLastStateInFewerDiffs() {
			// given an observer
			PhoenixSocket observer = connect(this.port);
			PresenceView view = observer.watch(LimitsTests.this.topic);
			observer.join(LimitsTests.this.topic, "1", "observer");
			PhoenixSocket tracker = connect(this.port);
			tracker.join(LimitsTests.this.topic, "1", "tracker");
			// when the tracker re-tracks ten times in a row
			for (int i = 0; i < 10; i++) {
				tracker.track(LimitsTests.this.topic, "1", "t" + i, "{\"v\":" + i + "}");
			}
			// then every track was answered ok (above) and the observer ends with the last state
			PhoenixSocket.eventually()
				.until(() -> view.states().equals(Map.of("tracker", List.of(Frames.json("{\"v\":9}")))));
			assertThat(view.diffs()).isLessThan(10);
		}

		@Test
		void presenceMessagesPastTheCeilingCloseTheChannel() {
			PhoenixSocket client = connect(this.port);
			client.join(LimitsTests.this.topic, "1", "chatty");
			for (int i = 0; i < 20; i++) {
				client.track(LimitsTests.this.topic, "1", "t" + i, "{\"v\":" + i + "}");
			}
			client.send(Frames.track(LimitsTests.this.topic, "1", "t20", "{\"v\":20}"));
			JsonNode system = client.next(Frames.event("system"));
			assertThat(system.get(4).get("message").asString()).isEqualTo("Client presence rate limit exceeded");
			client.next(Frames.event("phx_close"));
			assertThat(client.received()).noneMatch(Frames.event("phx_reply").and(Frames.ref("t20")));
		}

	}

	/**
	 * Limits of the node and the handshake.
	 */
	@Nested
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = { "presence.store=memory", "presence.limits.max-connections=3",
					"presence.limits.idle-timeout=2s", "presence.allowed-origins=http://allowed.example" })
	class NodeLimits {

		@PresencePort
		private int port;

		@Autowired
		private PresenceConnections connections;

		@Test
		void connectionPastMaxConnectionsIsClosedWith1013() {
			PhoenixSocket.eventually().until(() -> this.connections.connectionCount() == 0);
			for (int i = 0; i < 3; i++) {
				connect(this.port).join(LimitsTests.this.topic, "1", "");
			}
			PhoenixSocket fourth = connect(this.port);
			assertThat(fourth.closeCode(Duration.ofSeconds(10))).isEqualTo(1013);
		}

		@Test
		void silentConnectionIsClosedAfterTheIdleTimeoutAndItsPresenceLeaves() {
			PhoenixSocket.eventually().until(() -> this.connections.connectionCount() == 0);
			// given a client that tracked and then goes silent, and an observer that keeps heart-beating
			PhoenixSocket silent = connect(this.port);
			silent.join(LimitsTests.this.topic, "1", "silent");
			silent.track(LimitsTests.this.topic, "1", "2", "{}");
			long silentSince = System.nanoTime();
			PhoenixSocket observer = connect(this.port);
			PresenceView view = observer.watch(LimitsTests.this.topic);
			observer.join(LimitsTests.this.topic, "1", "observer");
			PhoenixSocket.eventually().until(() -> view.states().containsKey("silent"));
			// then the silent one is closed and its presence leaves, after the idle timeout
			// of 2 s and well before a 60 s default would have
			AtomicInteger heartbeat = new AtomicInteger();
			await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
				observer.send(Frames.heartbeat("hb" + heartbeat.incrementAndGet()));
				return !view.states().containsKey("silent");
			});
			assertThat(Duration.ofNanos(System.nanoTime() - silentSince)).isBetween(Duration.ofMillis(1500),
					Duration.ofSeconds(5));
			assertThat(silent.closeCode(Duration.ofSeconds(5))).as("closed by the idle timeout, with its reason")
				.isEqualTo(1008);
			assertThat(observer.isClosed()).isFalse();
		}

		@Test
		void handshakeFromAnotherOriginIsRefusedWith403() {
			assertThat(PhoenixSocket.refusedStatus(this.port, "apikey=anon-key", "Origin", "http://evil.example"))
				.isEqualTo(403);
			connect(this.port, "Origin", "http://allowed.example").join(LimitsTests.this.topic, "1", "");
		}

	}

	/**
	 * The limit of presences one node tracks.
	 */
	@Nested
	@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
			properties = { "presence.store=memory", "presence.limits.max-presences-per-node=2" })
	class NodePresenceLimits {

		@PresencePort
		private int port;

		@Autowired
		private PresenceTopics topics;

		@Autowired
		private PresenceService service;

		@Test
		void trackPastMaxPresencesPerNodeGetsAnErrorReplyAndFitsAgainOnceOneLeaves() {
			// given a node that tracks two presences, in two topics
			PhoenixSocket.eventually().until(() -> this.topics.ownedCount() == 0);
			PhoenixSocket first = connect(this.port);
			first.join(LimitsTests.this.topic + "-a", "1", "first");
			first.track(LimitsTests.this.topic + "-a", "1", "2", "{}");
			PhoenixSocket second = connect(this.port);
			second.join(LimitsTests.this.topic + "-b", "1", "second");
			second.track(LimitsTests.this.topic + "-b", "1", "2", "{}");
			// when a third client tracks, and the application too
			PhoenixSocket third = connect(this.port);
			third.join(LimitsTests.this.topic + "-b", "1", "third");
			third.send(Frames.track(LimitsTests.this.topic + "-b", "1", "2", "{}"));
			// then both are refused with the reason, and the client's channel stays joined
			assertThat(third.errorReason("2")).isEqualTo("TooManyPresences: This node holds the maximum number of presences");
			assertThat(third.received()).noneMatch(Frames.event("phx_close").or(Frames.event("system")));
			assertThatExceptionOfType(PresenceLimitExceededException.class)
				.isThrownBy(() -> this.service.track(LimitsTests.this.topic + "-c", "server", Map.of()))
				.withMessage("TooManyPresences: This node holds the maximum number of presences");
			// and an update of a presence the node holds is not a new one
			second.track(LimitsTests.this.topic + "-b", "1", "3", "{\"v\":2}");
			// and once a presence leaves, a new one fits
			first.close();
			PhoenixSocket.eventually().until(() -> this.topics.ownedCount() == 1);
			third.track(LimitsTests.this.topic + "-b", "1", "4", "{}");
		}

	}

}
