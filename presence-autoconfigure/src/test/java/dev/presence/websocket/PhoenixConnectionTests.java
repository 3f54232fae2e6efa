package dev.presence.websocket;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.presence.engine.PresenceEventPublisher;
import dev.presence.engine.PresenceMonitor;
import dev.presence.engine.PresenceTopics;
import dev.presence.memory.InMemoryPresenceStore;
import dev.presence.security.PresenceAuthenticator;
import dev.presence.security.PresenceAuthorizer;
import dev.presence.security.PresenceIdentity;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link PhoenixConnection} on a fake {@link ClientTransport}: the protocol core runs
 * without any WebSocket API, as a second transport will run it.
 */
class PhoenixConnectionTests {

	private static final String TOPIC = "realtime:room";

	private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

	private final RecordingTransport transport = new RecordingTransport();

	private final PhoenixConnection connection = connection(this.transport, 64 * 1024);

	@AfterEach
	void stopScheduler() {
		this.scheduler.shutdownNow();
	}

	@Test
	void heartbeatIsAnsweredThroughTheTransport() {
		this.connection.receive("[null,\"5\",\"phoenix\",\"heartbeat\",{}]", true);

		await().untilAsserted(() -> assertThat(this.transport.frames())
			.containsExactly("[null,\"5\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"));
	}

	@Test
	void joinAndTrackReachTheClientAsRepliesStateAndDiff() {
		this.connection.receive("[\"1\",\"1\",\"" + TOPIC
				+ "\",\"phx_join\",{\"config\":{\"presence\":{\"key\":\"alice\",\"enabled\":true}}}]", true);
		this.connection.receive("[\"1\",\"2\",\"" + TOPIC
				+ "\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"v\":1}}]", true);

		await().untilAsserted(() -> assertThat(this.transport.frames()).hasSize(4));
		List<String> frames = this.transport.frames();
		assertThat(frames.get(0)).isEqualTo("[\"1\",\"1\",\"" + TOPIC
				+ "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}}]");
		assertThat(frames.get(1)).isEqualTo("[\"1\",null,\"" + TOPIC + "\",\"presence_state\",{}]");
		// the track's reply and its diff may come in either order
		assertThat(frames.subList(2, 4)).anySatisfy((frame) -> assertThat(frame)
			.isEqualTo("[\"1\",\"2\",\"" + TOPIC + "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"));
		assertThat(frames.subList(2, 4)).anySatisfy((frame) -> assertThat(frame)
			.startsWith("[null,null,\"" + TOPIC + "\",\"presence_diff\",{\"joins\":{\"alice\":{\"metas\":[{\"v\":1,")
			.endsWith("}]}},\"leaves\":{}}]"));
	}

	@Test
	void frameLargerThanTheLimitClosesTheConnectionWithTooBig() {
		PhoenixConnection small = connection(this.transport, 16);

		small.receive("[null,\"5\",\"phoenix\",\"heartbeat\",{}]", true);

		assertThat(this.transport.closes).containsExactly("1009 frame larger than the maximum frame size");
		assertThat(this.transport.frames()).isEmpty();
	}

	@Test
	void joinWithCredentialsExpiredByTheServersClockIsRefusedSayingHowLongAgo() {
		Instant now = Instant.parse("2026-12-02T12:00:00Z");
		PresenceAuthenticator expired = (principal, apiKey, accessToken) -> new PresenceIdentity("alice", Map.of(),
				now.minusSeconds(42));
		PhoenixConnection connection = connection(this.transport, 64 * 1024, expired,
				Clock.fixed(now, ZoneOffset.UTC));

		connection.receive("[\"1\",\"1\",\"" + TOPIC + "\",\"phx_join\",{\"config\":{},\"access_token\":\"t\"}]", true);

		assertThat(this.transport.frames()).singleElement()
			.asString()
			.contains("phx_reply")
			.contains("\"status\":\"error\"")
			.contains("InvalidJWTToken: Token has expired 42 seconds ago");
	}

	private PhoenixConnection connection(ClientTransport transport, int maxFrameBytes) {
		return connection(transport, maxFrameBytes, PresenceAuthenticator.permitAll(), Clock.systemUTC());
	}

	private PhoenixConnection connection(ClientTransport transport, int maxFrameBytes,
			PresenceAuthenticator authenticator, Clock clock) {
		JsonMapper mapper = JsonMapper.builder().build();
		PhoenixMessages messages = new PhoenixMessages(mapper);
		PresenceTopics topics = new PresenceTopics("node", new InMemoryPresenceStore("node"), Runnable::run,
				this.scheduler, new PresenceEventPublisher((event) -> {
				}, Runnable::run), Duration.ZERO, PresenceMonitor.NONE, 1000);
		ChannelLimits limits = new ChannelLimits(maxFrameBytes, 64 * 1024, 100, 256, 1000, 100, 1000,
				Duration.ofMillis(100), 100, Duration.ofSeconds(10), 1024 * 1024, 100, 256 * 1024);
		ConnectionServices services = new ConnectionServices(topics,
				new ChannelTopics(messages, ConnectionMonitor.NONE, this.scheduler, Duration.ofMillis(20)), messages,
				limits, Runnable::run, this.scheduler, ConnectionMonitor.NONE, authenticator,
				PresenceAuthorizer.publicTopicsOnly(), PresenceKeyBinding.none(), clock, (event) -> {
				});
		return new PhoenixConnection(transport, new V2JsonSerializer(mapper), services, null, null);
	}

	/**
	 * Keeps what the connection sends and how it closes.
	 */
	private static final class RecordingTransport implements ClientTransport {

		private final List<byte[]> sent = new CopyOnWriteArrayList<>();

		final List<String> closes = new CopyOnWriteArrayList<>();

		@Override
		public String id() {
			return "fake";
		}

		@Override
		public void send(OutboundFrame.Encoded frame) {
			this.sent.add(frame.utf8());
		}

		@Override
		public boolean close(int status, String reason) {
			this.closes.add(status + " " + reason);
			return true;
		}

		@Override
		public void closeIfStuck(long now) {
		}

		List<String> frames() {
			return this.sent.stream().map((bytes) -> new String(bytes, StandardCharsets.UTF_8)).toList();
		}

	}

}
