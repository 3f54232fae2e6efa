package dev.presence.websocket;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import dev.presence.test.PresenceTestApplication;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A change to a quiet topic reaches its members at once; the changes of a busy topic are
 * merged into one {@code presence_diff} per batch window, a window that scales with the
 * topic's members on the node (the whole of it from 100 members on). The configured
 * window here is 50 s, so that a topic of four members waits two seconds: long enough for
 * the difference to show whatever the machine's load.
 */
@SpringBootTest(classes = PresenceTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.batch-window=50s" })
class TopicBatchingTests {

	/** The window of a topic with four members on the node. */
	private static final Duration WINDOW = Duration.ofSeconds(2);

	@PresencePort
	private int port;

	private final List<PhoenixSocket> sockets = new ArrayList<>();

	private final String topic;

	TopicBatchingTests(TestInfo info) {
		this.topic = "realtime:" + info.getTestMethod().orElseThrow().getName();
	}

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(PhoenixSocket::close);
	}

	@Test
	void changeToAQuietTopicIsSentAtOnce() {
		// given bob in a topic of four where nothing happened for a while
		PhoenixSocket bob = connect();
		bob.join(this.topic, "1", "bob");
		connect().join(this.topic, "1", "carol");
		connect().join(this.topic, "1", "dave");
		PhoenixSocket alice = connect();
		alice.join(this.topic, "1", "alice");
		// when alice tracks
		long tracked = System.nanoTime();
		alice.track(this.topic, "1", "2", "{}");
		// then bob sees her well before a batch window went by
		JsonNode diff = bob.next(Frames.event("presence_diff"), WINDOW);
		assertThat(Duration.ofNanos(System.nanoTime() - tracked)).isLessThan(WINDOW.dividedBy(2));
		assertThat(diff.get(4).get("joins").propertyNames()).containsExactly("alice");
	}

	@Test
	void changesToABusyTopicAreMergedIntoOneDiffAtTheEndOfTheWindow() {
		// given bob, carol and dave in a topic that just sent alice's track (a member's
		// join flushes the batch, so everyone joins first)
		PhoenixSocket bob = connect();
		bob.join(this.topic, "1", "bob");
		List<PhoenixSocket> others = new ArrayList<>();
		for (String key : List.of("alice", "carol", "dave")) {
			PhoenixSocket client = connect();
			client.join(this.topic, "1", key);
			others.add(client);
		}
		long first = System.nanoTime();
		others.get(0).track(this.topic, "1", "2", "{}");
		bob.next(Frames.event("presence_diff"), WINDOW);
		// when carol and dave track within the window
		others.get(1).track(this.topic, "1", "2", "{}");
		others.get(2).track(this.topic, "1", "2", "{}");
		// then bob gets both in one diff, once the window since the first one has passed
		JsonNode merged = bob.next(Frames.event("presence_diff"), WINDOW.multipliedBy(3));
		assertThat(Duration.ofNanos(System.nanoTime() - first)).isGreaterThanOrEqualTo(WINDOW);
		assertThat(merged.get(4).get("joins").propertyNames()).containsExactlyInAnyOrder("carol", "dave");
	}

	private PhoenixSocket connect() {
		PhoenixSocket socket = PhoenixSocket.connect(this.port);
		this.sockets.add(socket);
		return socket;
	}

}
