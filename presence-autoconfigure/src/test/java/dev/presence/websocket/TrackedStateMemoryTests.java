package dev.presence.websocket;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What tracked state costs the server's heap: states made of many small fields, tracked
 * through a real WebSocket, are held as their JSON and not as a tree of Java objects.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.max-joins-per-second=1000",
				"presence.limits.max-state-size-per-connection=16MB" })
class TrackedStateMemoryTests {

	private static final int CHANNELS = 100;

	private static final int FIELDS = 5_000;

	private final List<WebSocket> sockets = new ArrayList<>();

	@PresencePort
	private int port;

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(WebSocket::abort);
	}

	@Test
	void largeStatesOfManySmallFieldsAreHeldCompactly() throws InterruptedException {
		// given a server that has served a connection before (its lazy parts are built)
		trackOnChannels("warm-up", 1, "{\"warm\":true}");
		String state = stateOfSmallFields(FIELDS);
		long stateBytes = state.getBytes(StandardCharsets.UTF_8).length;
		long before = usedHeapAfterGc();
		// when one connection tracks a ~53 KB state on each of 100 channels
		trackOnChannels("tracked", CHANNELS, state);
		long retained = usedHeapAfterGc() - before;
		// then the server holds about their JSON, not ten times it as maps and meta trees
		long tracked = CHANNELS * stateBytes;
		System.out.printf("Tracked %d states of %d bytes (%d fields): %d bytes in all; heap retained %d bytes "
				+ "(%.1f x the tracked JSON)%n", CHANNELS, stateBytes, FIELDS, tracked, retained,
				(double) retained / tracked);
		// (a margin over the 1.3x measured, for what else the JVM holds on to meanwhile)
		assertThat(retained).isLessThan(4 * tracked);
	}

	/**
	 * Track a state on channels of one new connection, and wait until each channel got
	 * the {@code presence_state} its track turned on.
	 */
	private void trackOnChannels(String prefix, int channels, String state) throws InterruptedException {
		RepliesOnly client = new RepliesOnly();
		WebSocket socket = HttpClient.newHttpClient()
			.newWebSocketBuilder()
			.buildAsync(PhoenixSocket.uri(this.port, "apikey=anon-key"), client)
			.orTimeout(10, TimeUnit.SECONDS)
			.join();
		this.sockets.add(socket);
		for (int i = 0; i < channels; i++) {
			String topic = "realtime:" + prefix + "-" + i;
			socket.sendText(Frames.join(topic, "j" + i, "{\"presence\":{\"key\":\"tracker\",\"enabled\":false}}", null),
					true).join();
			assertThat(client.reply()).isEqualTo("j" + i + " ok");
			socket.sendText(Frames.track(topic, "j" + i, "t" + i, state), true).join();
			assertThat(client.reply()).isEqualTo("t" + i + " ok");
		}
		PhoenixSocket.eventually().until(() -> client.states.get() == channels);
	}

	/**
	 * A JSON object of many short fields, the shape that costs the most as a Java tree.
	 */
	static String stateOfSmallFields(int fields) {
		StringBuilder json = new StringBuilder("{");
		for (int i = 0; i < fields; i++) {
			json.append((i > 0) ? "," : "").append("\"f").append(i).append("\":").append(i % 100);
		}
		return json.append('}').toString();
	}

	private static long usedHeapAfterGc() {
		for (int i = 0; i < 3; i++) {
			System.gc();
		}
		return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
	}

	/**
	 * A client that keeps nothing it receives but the status of each reply, so that what
	 * the test measures is the server's heap only.
	 */
	private static final class RepliesOnly implements WebSocket.Listener {

		private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

		private final AtomicInteger states = new AtomicInteger();

		private final StringBuilder partial = new StringBuilder();

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.partial.append(data);
			if (last) {
				JsonNode frame = PhoenixSocket.MAPPER.readTree(this.partial.toString());
				this.partial.setLength(0);
				String event = frame.get(3).asString();
				if ("phx_reply".equals(event)) {
					this.replies.add(frame.get(1).asString() + " " + frame.get(4).get("status").asString());
				}
				else if ("presence_state".equals(event)) {
					this.states.incrementAndGet();
				}
			}
			webSocket.request(1);
			return null;
		}

		String reply() throws InterruptedException {
			String reply = this.replies.poll(10, TimeUnit.SECONDS);
			assertThat(reply).as("a reply within 10 s").isNotNull();
			return reply;
		}

	}

}
