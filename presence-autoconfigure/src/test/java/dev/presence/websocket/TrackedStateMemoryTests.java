package dev.presence.websocket;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;

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

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	@PresencePort
	private int port;

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::abort);
	}

	@Test
	void largeStatesOfManySmallFieldsAreHeldCompactly() {
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
	 * the {@code presence_state} its track turned on. The client keeps nothing it receives
	 * but the replies, so that what the test measures is the server's heap only.
	 */
	private void trackOnChannels(String prefix, int channels, String state) {
		PhoenixSocket client = PhoenixSocket.connect(this.port).keepOnly(Frames.event("phx_reply"));
		this.sockets.add(client);
		for (int i = 0; i < channels; i++) {
			String topic = "realtime:" + prefix + "-" + i;
			client.send(Frames.join(topic, "j" + i, Frames.config("tracker", false, false), null));
			assertThat(client.reply("j" + i).get(4).get("status").asString()).isEqualTo("ok");
			client.track(topic, "j" + i, "t" + i, state);
		}
		PhoenixSocket.eventually().until(() -> client.count("presence_state") == channels);
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

}
