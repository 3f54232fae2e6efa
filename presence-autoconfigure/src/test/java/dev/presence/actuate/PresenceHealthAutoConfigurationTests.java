package dev.presence.actuate;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.presence.autoconfigure.PresenceAutoConfiguration;
import dev.presence.autoconfigure.PresenceHealthAutoConfiguration;
import dev.presence.autoconfigure.PresenceWebSocketAutoConfiguration;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceNode;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.TopicBroadcast;
import dev.presence.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PresenceHealthAutoConfiguration} and {@link PresenceHealthIndicator}.
 */
class PresenceHealthAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
				PresenceHealthAutoConfiguration.class))
		.withPropertyValues("presence.store=memory", "presence.node-id=node-1");

	@Test
	void presenceConfiguredShouldProvideHealthIndicatorThatIsUp() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(PresenceHealthIndicator.class);
			Health health = context.getBean(PresenceHealthIndicator.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("nodeId", "node-1")
				.containsEntry("store", "InMemoryPresenceStore")
				.containsEntry("topics", 0)
				.doesNotContainKey("connections");
		});
	}

	@Test
	void webSocketEndpointPresentShouldReportConnections() {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class,
					PresenceWebSocketAutoConfiguration.class, PresenceHealthAutoConfiguration.class))
			.withPropertyValues("presence.store=memory")
			.run((context) -> {
				assertThat(context).hasSingleBean(PresenceHealthIndicator.class);
				Health health = context.getBean(PresenceHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(health.getDetails()).containsEntry("connections", 0);
			});
	}

	@Test
	void healthClassesAbsentShouldNotProvideHealthIndicator() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(PresenceHealthIndicator.class));
	}

	@Test
	void healthIndicatorDisabledShouldNotProvideHealthIndicator() {
		this.contextRunner.withPropertyValues("management.health.presence.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(PresenceHealthIndicator.class));
	}

	@Test
	void presenceDisabledShouldNotProvideHealthIndicator() {
		this.contextRunner.withPropertyValues("presence.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(PresenceHealthIndicator.class));
	}

	@Test
	void userHealthIndicatorShouldBackOff() {
		this.contextRunner.withUserConfiguration(UserHealthIndicatorConfiguration.class).run((context) -> {
			assertThat(context).doesNotHaveBean(PresenceHealthIndicator.class);
			assertThat(context.getBean("presenceHealthIndicator", HealthIndicator.class).health().getStatus())
				.isEqualTo(Status.OUT_OF_SERVICE);
		});
	}

	@Test
	void failingStoreShouldReportDownWithDetails() {
		this.contextRunner.withUserConfiguration(FailingStoreConfiguration.class).run((context) -> {
			Health health = context.getBean(PresenceHealthIndicator.class).health();
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.getDetails()).containsEntry("nodeId", "node-1")
				.containsEntry("store", "FailingStore")
				.containsEntry("error", "java.lang.IllegalStateException: store unavailable");
		});
	}

	@Test
	void unansweringStoreShouldReportDownAfterTimeout() {
		this.contextRunner.withUserConfiguration(SilentStoreConfiguration.class)
			.withPropertyValues("presence.timeout=100ms")
			.run((context) -> {
				Health health = context.getBean(PresenceHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.DOWN);
				assertThat(health.getDetails()).containsEntry("nodeId", "node-1")
					.containsEntry("error", "The store did not answer within 100 ms");
			});
	}

	@Test
	void redisStoreShouldReportDownWhileRedisIsStoppedAndUpOnceItIsBack() throws Exception {
		try (RedisServer redis = RedisServer.start()) {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(
						org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration.class,
						PresenceAutoConfiguration.class, PresenceHealthAutoConfiguration.class))
				.withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
						"presence.timeout=500ms")
				.run((context) -> {
					PresenceHealthIndicator indicator = context.getBean(PresenceHealthIndicator.class);
					Health up = indicator.health();
					assertThat(up.getStatus()).isEqualTo(Status.UP);
					assertThat(up.getDetails()).containsEntry("store", "RedisPresenceStore")
						.containsEntry("nodeId", context.getBean(PresenceNode.class).id());

					redis.kill();

					await().atMost(Duration.ofSeconds(10))
						.untilAsserted(() -> assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN));

					redis.restart();

					await().atMost(Duration.ofSeconds(40))
						.untilAsserted(() -> assertThat(indicator.health().getStatus()).isEqualTo(Status.UP));
				});
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class UserHealthIndicatorConfiguration {

		@Bean
		HealthIndicator presenceHealthIndicator() {
			return () -> Health.outOfService().build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class FailingStoreConfiguration {

		@Bean
		PresenceStore failingStore() {
			return new FailingStore(CompletableFuture.failedFuture(new IllegalStateException("store unavailable")));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SilentStoreConfiguration {

		@Bean
		PresenceStore silentStore() {
			return new FailingStore(new CompletableFuture<>());
		}

	}

	/**
	 * A store whose every operation ends as the given future does.
	 */
	static final class FailingStore implements PresenceStore {

		private final CompletableFuture<?> outcome;

		FailingStore(CompletableFuture<?> outcome) {
			this.outcome = outcome;
		}

		@SuppressWarnings("unchecked")
		private <T> CompletableFuture<T> outcome() {
			return (CompletableFuture<T>) this.outcome.copy();
		}

		@Override
		public CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef) {
			return outcome();
		}

		@Override
		public CompletableFuture<Void> remove(String topic, String ref) {
			return outcome();
		}

		@Override
		public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
			return outcome();
		}

		@Override
		public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
			return outcome();
		}

		@Override
		public CompletableFuture<Void> unsubscribe(String topic) {
			return outcome();
		}

		@Override
		public CompletableFuture<Void> broadcast(TopicBroadcast broadcast) {
			return outcome();
		}

	}

}
