package dev.presence.websocket;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PhoenixSocket.PresenceView;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import dev.presence.test.RawWebSocket;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading in a busy topic is closed once it exceeds the send buffer
 * or the send time limit, and the other members keep receiving meanwhile.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.send-buffer-size=256KB",
				"presence.limits.send-time-limit=1s", "presence.limits.track-coalesce-window=0ms",
				"presence.limits.max-presence-messages=1000000" })
class SlowConsumerTests {

	private static final String TOPIC = "realtime:busy";

	private static final Duration BOUND = Duration.ofSeconds(5);

	@PresencePort
	private int port;

	@Autowired
	private PresenceConnections connections;

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
		PhoenixSocket.eventually().until(() -> this.connections.connectionCount() == 6);
	}

	@Test
	void roomWhoseStateIsLargerThanTheSendBufferIsJoinedAndStaysJoined() {
		// given a room whose members' states (60 KB each, under the state size limit) add
		// up to more than the send buffer (256 KB)
		String topic = "realtime:big-room";
		String state = "{\"bio\":\"" + "b".repeat(60 * 1024) + "\"}";
		for (int i = 0; i < 6; i++) {
			PhoenixSocket member = connect();
			member.join(topic, "1", "member-" + i);
			member.track(topic, "1", "2", state);
		}
		// when a client joins with presence on, and another turns presence on by tracking
		PhoenixSocket joiner = connect();
		PresenceView joinerView = joiner.watch(topic);
		joiner.join(topic, "1", "joiner");
		PhoenixSocket tracker = connect();
		PresenceView trackerView = tracker.watch(topic);
		tracker.send(Frames.join(topic, "1", "{\"presence\":{\"key\":\"tracker\",\"enabled\":false}}", null));
		tracker.reply("1");
		tracker.track(topic, "1", "2", "{}");
		// then both receive the whole state in one frame and keep their connections
		PhoenixSocket.eventually()
			.until(() -> joinerView.states().keySet().containsAll(List.of("member-0", "member-5", "tracker"))
					&& trackerView.states().keySet().containsAll(List.of("member-0", "member-5", "tracker")));
		joiner.send(Frames.heartbeat("9"));
		joiner.reply("9");
		tracker.send(Frames.heartbeat("9"));
		tracker.reply("9");
		assertThat(joiner.isClosed()).isFalse();
		assertThat(tracker.isClosed()).isFalse();
	}

	@Test
	void pausedReaderIsClosedOnceTheServerHoldsMoreThanItsSendBuffer() throws IOException {
		// given a client that stopped reading, with a fixed 256 KB socket receive buffer,
		// in a topic where another client keeps re-tracking 8 KB states
		String topic = "realtime:paused";
		PhoenixSocket watcher = connect();
		PresenceView view = watcher.watch(topic);
		watcher.join(topic, "1", "watcher");
		RawWebSocket paused = RawWebSocket.connect(this.port, "apikey=anon-key", 256 * 1024);
		this.rawSockets.add(paused);
		paused.sendText(Frames.join(topic, "1", Frames.config("paused", false), null));
		paused.sendText(Frames.track(topic, "1", "2", "{}"));
		PhoenixSocket.eventually().until(() -> view.states().containsKey("paused"));
		PhoenixSocket writer = connect();
		writer.join(topic, "1", "writer");
		// when the writer goes on until the paused client's presence leaves
		String padding = "w".repeat(8 * 1024);
		long sentBytes = 0;
		long start = System.nanoTime();
		for (int round = 0; view.states().containsKey("paused")
				&& System.nanoTime() - start < BOUND.plusSeconds(10).toNanos(); round++) {
			writer.track(topic, "1", "r" + round, "{\"round\":" + round + ",\"padding\":\"" + padding + "\"}");
			sentBytes += 2 * padding.length();
		}
		// then it was closed, and what it finds when it reads again is bounded by the kernel's
		// socket buffers (its 256 KB, doubled by Linux, and at most 4 MB on the server's side),
		// the send buffer, and two frames: nothing else waited in the server
		assertThat(view.states()).doesNotContainKey("paused");
		paused.drain();
		PhoenixSocket.eventually().until(paused::ended);
		long bound = 2 * 256 * 1024 + 4 * 1024 * 1024 + 256 * 1024 + 2 * 3 * padding.length();
		assertThat(paused.drained()).as("bytes read after the pause, of %d sent in the topic", sentBytes)
			.isLessThan(bound);
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

}
