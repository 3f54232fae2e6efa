package dev.presence.actuate;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.presence.autoconfigure.PresenceAutoConfiguration;
import dev.presence.autoconfigure.PresenceMetricsAutoConfiguration;
import dev.presence.autoconfigure.PresenceWebSocketAutoConfiguration;
import dev.presence.core.Presence;
import dev.presence.core.PresenceService;
import dev.presence.core.TrackedPresence;
import dev.presence.engine.PresenceMonitor;
import dev.presence.redis.CrashedNodes;
import dev.presence.redis.RedisPresenceStore;
import dev.presence.store.PresenceEntry;
import dev.presence.test.RedisServer;
import dev.presence.websocket.ConnectionMonitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PresenceMetricsAutoConfiguration} and the meters it binds.
 */
class PresenceMetricsAutoConfigurationTests {

	private static final AutoConfigurations METRICS = AutoConfigurations.of(MetricsAutoConfiguration.class,
			CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(METRICS)
		.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
				PresenceMetricsAutoConfiguration.class))
		.withPropertyValues("presence.store=memory");

	@Test
	void meterRegistryPresentShouldRegisterPresenceMeters() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(PresenceTopicMetrics.class)
				.hasSingleBean(PresenceEventMetrics.class)
				.doesNotHaveBean(PresenceConnectionMetrics.class);
			assertThat(context).getBean(PresenceMonitor.class).isInstanceOf(MicrometerPresenceMonitor.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("presence.topics").gauge().value()).isZero();
			assertThat(registry.get("presence.presences").gauge().value()).isZero();
			assertThat(registry.get("presence.joins").tag("origin", "true").counter().count()).isZero();
			assertThat(registry.get("presence.leaves").tag("origin", "false").counter().count()).isZero();
			assertThat(registry.get("presence.diffs.sent").counter().count()).isZero();
			assertThat(registry.get("presence.broadcasts.sent").counter().count()).isZero();
			assertThat(registry.get("presence.change.latency").timer().count()).isZero();
		});
	}

	@Test
	void webSocketEndpointPresentShouldRegisterConnectionGauges() {
		new WebApplicationContextRunner().withConfiguration(METRICS)
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceWebSocketAutoConfiguration.class, PresenceMetricsAutoConfiguration.class))
			.withPropertyValues("presence.store=memory")
			.run((context) -> {
				assertThat(context).hasSingleBean(PresenceConnectionMetrics.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.get("presence.connections").gauge().value()).isZero();
				assertThat(registry.get("presence.channels").gauge().value()).isZero();
			});
	}

	@Test
	void meterRegistryAbsentShouldNotRegisterPresenceMeters() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceMetricsAutoConfiguration.class))
			.withPropertyValues("presence.store=memory")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(PresenceTopicMetrics.class)
					.doesNotHaveBean(PresenceEventMetrics.class)
					.doesNotHaveBean(PresenceMonitor.class);
			});
	}

	@Test
	void micrometerAbsentShouldNotRegisterPresenceMeters() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceMetricsAutoConfiguration.class))
			.withPropertyValues("presence.store=memory")
			.withUserConfiguration(SimpleMeterRegistryConfiguration.class)
			.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(PresenceTopicMetrics.class)
				.doesNotHaveBean(PresenceMonitor.class));
	}

	@Test
	void presenceDisabledShouldNotRegisterPresenceMeters() {
		this.contextRunner.withPropertyValues("presence.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(PresenceTopicMetrics.class)
				.doesNotHaveBean(PresenceMonitor.class));
	}

	@Test
	void userConnectionMonitorShouldBackOffAndBeToldAboutConnections() {
		this.contextRunner.withUserConfiguration(UserConnectionMonitorConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean(MicrometerPresenceMonitor.class);
			assertThat(context).getBean(ConnectionMonitor.class).isSameAs(context.getBean("userConnectionMonitor"));
		});
	}

	@Test
	void userPresenceMonitorShouldBackOff() {
		this.contextRunner.withUserConfiguration(UserMonitorConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean(MicrometerPresenceMonitor.class);
			assertThat(context).getBean(PresenceMonitor.class).isSameAs(context.getBean("userMonitor"));
			assertThat(context).hasSingleBean(PresenceTopicMetrics.class);
		});
	}

	@Test
	void trackedPresenceShouldBeCountedByGaugesAndCounters() {
		this.contextRunner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			PresenceService service = context.getBean(PresenceService.class);

			TrackedPresence ada = service.track("realtime:room_01", "ada", Map.of("status", "online"));

			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
				assertThat(registry.get("presence.topics").gauge().value()).isEqualTo(1);
				assertThat(registry.get("presence.presences").gauge().value()).isEqualTo(1);
				assertThat(registry.get("presence.joins").tag("origin", "true").counter().count()).isEqualTo(1);
			});

			ada.untrack();

			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
				assertThat(registry.get("presence.leaves").tag("origin", "true").counter().count()).isEqualTo(1);
				assertThat(registry.get("presence.topics").gauge().value()).isZero();
				assertThat(registry.get("presence.presences").gauge().value()).isZero();
			});
		});
	}

	@Test
	void monitorCallsShouldBeRecordedAsPresenceMeters() {
		this.contextRunner.run((context) -> {
			MicrometerPresenceMonitor monitor = context.getBean(MicrometerPresenceMonitor.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);

			monitor.diffSent("realtime:room_01", 3);
			monitor.diffSent("realtime:room_02", 2);
			monitor.broadcastSent("realtime:room_01", 40);
			monitor.frameRejected("malformed");
			monitor.frameRejected("malformed");
			monitor.frameRejected("state-too-large");
			monitor.slowClientClosed();
			monitor.resynchronised("realtime:room_01");
			monitor.nodeReaped("node-2", 7);
			monitor.changeApplied("realtime:room_01", TimeUnit.MILLISECONDS.toNanos(4));

			assertThat(registry.get("presence.diffs.sent").counter().count()).isEqualTo(5);
			assertThat(registry.get("presence.broadcasts.sent").counter().count()).isEqualTo(40);
			assertThat(registry.get("presence.frames.rejected").tag("reason", "malformed").counter().count())
				.isEqualTo(2);
			assertThat(registry.get("presence.frames.rejected").tag("reason", "state-too-large").counter().count())
				.isEqualTo(1);
			assertThat(registry.get("presence.clients.slow.closed").counter().count()).isEqualTo(1);
			assertThat(registry.get("presence.resyncs").counter().count()).isEqualTo(1);
			assertThat(registry.get("presence.nodes.reaped").counter().count()).isEqualTo(1);
			assertThat(registry.get("presence.change.latency").timer().count()).isEqualTo(1);
			assertThat(registry.get("presence.change.latency").timer().totalTime(TimeUnit.MILLISECONDS))
				.isEqualTo(4);
		});
	}

	@Test
	void deadNodeReapedByThisNodeShouldBeCounted() throws Exception {
		try (RedisServer redis = RedisServer.start()) {
			RedisClient client = RedisClient.create(redis.uri());
			// given another node with a presence in Redis
			RedisPresenceStore other = new RedisPresenceStore(client, "node-dead", Duration.ofMinutes(2),
					Duration.ofMillis(200), Duration.ofSeconds(1));
			other.start();
			other.put("realtime:room_01", new PresenceEntry("ada", new Presence("ref-a", null, Map.of()), "node-dead"),
					null)
				.get(5, TimeUnit.SECONDS);
			try {
				new ApplicationContextRunner().withConfiguration(METRICS)
					.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
							PresenceAutoConfiguration.class, PresenceMetricsAutoConfiguration.class))
					.withPropertyValues("spring.data.redis.host=" + redis.host(),
							"spring.data.redis.port=" + redis.port(), "presence.node-id=node-1",
							"presence.node-timeout=1s", "presence.redis.heartbeat-interval=200ms")
					.run((context) -> {
						MeterRegistry registry = context.getBean(MeterRegistry.class);
						assertThat(registry.get("presence.nodes.reaped").counter().count()).isZero();

						// when that node crashes
						CrashedNodes.crash(other);

						// then this node, the only one left, reaps it and counts it once
						await().atMost(Duration.ofSeconds(15))
							.untilAsserted(() -> assertThat(registry.get("presence.nodes.reaped").counter().count())
								.isEqualTo(1));
					});
			}
			finally {
				other.stop();
				client.shutdown();
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class SimpleMeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry simpleMeterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConnectionMonitorConfiguration {

		@Bean
		ConnectionMonitor userConnectionMonitor() {
			return new ConnectionMonitor() {
			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserMonitorConfiguration {

		@Bean
		PresenceMonitor userMonitor() {
			return new PresenceMonitor() {
			};
		}

	}

}
