package dev.presence.sample.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.PresenceView;
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

	@RegisterExtension
	final PresenceCluster cluster = new PresenceCluster();

	@Test
	void presenceFansOutBetweenNodesThatFoundRedisThroughSentinel() {
		String topic = "realtime:sentinel-room";
		// given two nodes that know only the Sentinel of their Redis
		RedisServer master = this.cluster.stopLater(RedisServer.start());
		this.cluster.sentinels(MASTER, List.of(this.cluster.stopLater(RedisServer.startSentinel(master, MASTER))));
		ClusterNode a = this.cluster.node("a");
		ClusterNode b = this.cluster.node("b");
		try (PhoenixSocket watcher = a.connect("watcher"); PhoenixSocket tracker = b.connect("tracker")) {
			// and a watcher on node a and a tracker on node b, both through the Sentinel's master
			PresenceView watching = watcher.join(topic, "watcher");
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
