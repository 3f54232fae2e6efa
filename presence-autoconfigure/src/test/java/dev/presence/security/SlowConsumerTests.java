package dev.presence.security;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.presence.security.PhoenixSocket.Frames;
import dev.presence.security.PhoenixSocket.PresenceView;
import dev.presence.websocket.PresenceWebSocketHandler;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading in a busy topic is closed once it exceeds the send buffer
 * or the send time limit, and the other members keep receiving meanwhile.
 */
@SpringBootTest(classes = SlowConsumerTests.TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.send-buffer-size=256KB",
				"presence.limits.send-time-limit=1s", "presence.limits.track-coalesce-window=0ms",
				"presence.limits.max-presence-messages=1000000" })
class SlowConsumerTests {

	private static final String TOPIC = "realtime:busy";

	private static final Duration BOUND = Duration.ofSeconds(5);

	@LocalServerPort
	private int port;

	@Autowired
	private PresenceWebSocketHandler handler;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final List<RawWebSocket> rawSockets = new ArrayList<>();

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
		this.rawSockets.forEach(RawWebSocket::close);
	}

	@Test
	void clientThatStopsReadingIsClosedWhileTheOthersKeepReceiving() throws IOException {
		// given watchers and writers in a topic
		List<PhoenixSocket> watchers = new ArrayList<>();
		List<PresenceView> views = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			PhoenixSocket watcher = connect();
			views.add(watcher.watch(TOPIC));
			watcher.join(TOPIC, "1", "watcher-" + i);
			watchers.add(watcher);
		}
		List<PhoenixSocket> writers = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			PhoenixSocket writer = connect();
			writer.join(TOPIC, "1", "writer-" + i);
			writers.add(writer);
		}
		// and a client that joins, tracks, and then never reads again
		RawWebSocket slow = RawWebSocket.connect(this.port, "apikey=anon-key", 4096);
		this.rawSockets.add(slow);
		slow.sendText(Frames.join(TOPIC, "1", Frames.config("slow", false), null));
		slow.sendText(Frames.track(TOPIC, "1", "2", "{\"reading\":false}"));
		PhoenixSocket.eventually().until(() -> views.stream().allMatch((view) -> view.states().containsKey("slow")));
		// when the writers keep re-tracking big states
		String padding = "p".repeat(1024);
		List<Long> roundStarts = new ArrayList<>();
		long floodStart = System.nanoTime();
		long maxReplyNanos = 0;
		long maxStalenessNanos = 0;
		boolean slowGone = false;
		while (!slowGone && System.nanoTime() - floodStart < BOUND.plusSeconds(10).toNanos()) {
			int round = roundStarts.size();
			roundStarts.add(System.nanoTime());
			for (PhoenixSocket writer : writers) {
				long sent = System.nanoTime();
				writer.track(TOPIC, "1", "r" + round, "{\"round\":" + round + ",\"padding\":\"" + padding + "\"}");
				maxReplyNanos = Math.max(maxReplyNanos, System.nanoTime() - sent);
			}
			// how old is the newest round every watcher has seen?
			int seen = views.stream().mapToInt(SlowConsumerTests::roundOfFirstWriter).min().orElse(-1);
			long staleness = System.nanoTime() - ((seen >= 0) ? roundStarts.get(seen) : floodStart);
			maxStalenessNanos = Math.max(maxStalenessNanos, staleness);
			slowGone = views.stream().noneMatch((view) -> view.states().containsKey("slow"));
		}
		Duration untilClosed = Duration.ofNanos(System.nanoTime() - floodStart);
		// then the watchers never fell far behind the writers, whose tracks were answered promptly
		assertThat(Duration.ofNanos(maxStalenessNanos)).as("longest time the watchers saw no new round")
			.isLessThan(BOUND);
		assertThat(Duration.ofNanos(maxReplyNanos)).as("slowest track reply").isLessThan(BOUND);
		// and the slow client was closed within the bound, its presence gone
		assertThat(slowGone).as("slow client closed after " + roundStarts.size() + " rounds").isTrue();
		assertThat(untilClosed).isLessThan(BOUND.plusSeconds(10));
		// and every watcher converges on the writers' last states
		Map<String, List<JsonNode>> expected = new LinkedHashMap<>();
		for (int w = 0; w < writers.size(); w++) {
			writers.get(w).track(TOPIC, "1", "final", "{\"final\":" + w + "}");
			expected.put("writer-" + w, List.of(Frames.json("{\"final\":" + w + "}")));
		}
		PhoenixSocket.eventually().until(() -> views.stream().allMatch((view) -> {
			Map<String, List<JsonNode>> states = view.states();
			states.keySet().removeIf((key) -> key.startsWith("watcher-"));
			return states.equals(expected);
		}));
		assertThat(watchers).noneMatch(PhoenixSocket::isClosed);
		assertThat(writers).noneMatch(PhoenixSocket::isClosed);
		PhoenixSocket.eventually().until(() -> this.handler.connectionCount() == 6);
	}

	private static int roundOfFirstWriter(PresenceView view) {
		List<JsonNode> states = view.states().get("writer-0");
		return (states != null) ? states.get(0).path("round").asInt(-1) : -1;
	}

	private PhoenixSocket connect() {
		PhoenixSocket socket = PhoenixSocket.connect(this.port);
		this.sockets.add(socket);
		return socket;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration(
			excludeName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
					"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
					"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration" })
	static class TestApplication {

	}

}
