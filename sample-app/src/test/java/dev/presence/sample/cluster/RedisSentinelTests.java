package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.presence.sample.cluster.PhoenixTestClient.ClientChannel;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes that find their Redis through a Sentinel, configured as Boot configures any
 * Sentinel ({@code spring.data.redis.sentinel.master} and {@code .nodes}): presence fans
 * out between them as it does on a Redis they are given directly.
 */
class RedisSentinelTests {

	private static final String MASTER = "presence-master";

	private static final Duration WITHIN = Duration.ofSeconds(5);

	private static RedisServer master;

	private static RedisServer sentinel;

	private static ClusterNode a;

	private static ClusterNode b;

	@BeforeAll
	static void startSentinelAndNodes() {
		master = RedisServer.start();
		sentinel = RedisServer.startSentinel(master, MASTER);
		List<String> properties = new ArrayList<>(ClusterNode.FAST);
		properties.add("spring.data.redis.sentinel.master=" + MASTER);
		properties.add("spring.data.redis.sentinel.nodes=" + sentinel.host() + ":" + sentinel.port());
		a = ClusterNode.start("a", properties);
		b = ClusterNode.start("b", properties);
	}

	@AfterAll
	static void stop() {
		for (AutoCloseable closeable : new AutoCloseable[] { b, a, sentinel, master }) {
			if (closeable != null) {
				try {
					closeable.close();
				}
				catch (Exception ex) {
					// best effort: the next one must still be closed
				}
			}
		}
	}

	@Test
	void presenceFansOutBetweenNodesThatFoundRedisThroughSentinel() {
		String topic = "realtime:sentinel-room";
		try (PhoenixTestClient watcher = a.connect("watcher"); PhoenixTestClient tracker = b.connect("tracker")) {
			// given a watcher on node a and a tracker on node b, both through the Sentinel's master
			ClientChannel watching = watcher.join(topic, "watcher");
			tracker.join(topic, "tracker");
			await().atMost(WITHIN).until(watching::synced);

			// when the tracker tracks
			tracker.track(topic, Map.of("status", "online"));

			// then the watcher and both nodes see it
			await().atMost(WITHIN)
				.untilAsserted(() -> assertThat(PresenceViews.facts(PresenceViews.ofClient(watching)))
					.containsExactly("tracker={status=online}"));
			assertThat(PresenceViews.facts(PresenceViews.ofService(a.presence(), topic)))
				.containsExactly("tracker={status=online}");
			await().atMost(WITHIN)
				.untilAsserted(() -> assertThat(PresenceViews.facts(PresenceViews.ofService(b.presence(), topic)))
					.containsExactly("tracker={status=online}"));
		}
	}

}
