package dev.presence.autoconfigure;

import java.time.Duration;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions.RefreshTrigger;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the Lettuce defaults {@link PresenceAutoConfiguration} gives a Redis store
 * ({@link PresenceRedisClientDefaults}), and for the user's own settings winning over them.
 */
class PresenceRedisClientDefaultsTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, PresenceAutoConfiguration.class))
		.withUserConfiguration(PresenceAutoConfigurationTests.NoLifecycleConfiguration.class);

	@Test
	void timeoutUnsetShouldUseSecondsNotAMinute() {
		this.contextRunner.run((context) -> assertThat(factory(context).getClientConfiguration().getCommandTimeout())
			.isEqualTo(PresenceRedisClientDefaults.COMMAND_TIMEOUT));
	}

	@Test
	void timeoutSetShouldBeKept() {
		this.contextRunner.withPropertyValues("spring.data.redis.timeout=60s")
			.run((context) -> assertThat(factory(context).getClientConfiguration().getCommandTimeout())
				.isEqualTo(Duration.ofSeconds(60)));
	}

	@Test
	void reconnectionShouldBeTriedAtLeastEveryHalfSecond() {
		this.contextRunner.run((context) -> {
			Delay delay = context.getBean(ClientResources.class).reconnectDelay();
			assertThat(delay.createDelay(1)).isLessThanOrEqualTo(Duration.ofMillis(1));
			assertThat(delay.createDelay(30)).isEqualTo(PresenceRedisClientDefaults.MAX_RECONNECT_DELAY);
		});
	}

	@Test
	void clusterWithoutRefreshSettingsShouldFollowFailovers() {
		this.contextRunner.withPropertyValues("spring.data.redis.cluster.nodes=127.0.0.1:7000").run((context) -> {
			ClusterTopologyRefreshOptions refresh = refreshOptions(context);
			assertThat(refresh.getAdaptiveRefreshTriggers()).containsExactlyInAnyOrder(RefreshTrigger.values());
			assertThat(refresh.getAdaptiveRefreshTimeout()).isEqualTo(PresenceRedisClientDefaults.ADAPTIVE_REFRESH_TIMEOUT);
			assertThat(refresh.isPeriodicRefreshEnabled()).isTrue();
			assertThat(refresh.getRefreshPeriod()).isEqualTo(PresenceRedisClientDefaults.REFRESH_PERIOD);
			assertThat(refresh.useDynamicRefreshSources()).isTrue();
		});
	}

	@Test
	void clusterWithRefreshSettingsShouldKeepThem() {
		this.contextRunner
			.withPropertyValues("spring.data.redis.cluster.nodes=127.0.0.1:7000",
					"spring.data.redis.lettuce.cluster.refresh.period=30s")
			.run((context) -> {
				ClusterTopologyRefreshOptions refresh = refreshOptions(context);
				assertThat(refresh.getAdaptiveRefreshTriggers()).isEmpty();
				assertThat(refresh.getRefreshPeriod()).isEqualTo(Duration.ofSeconds(30));
			});
	}

	@Test
	void clusterWithAdaptiveRefreshTurnedOffShouldKeepItOff() {
		this.contextRunner
			.withPropertyValues("spring.data.redis.cluster.nodes=127.0.0.1:7000",
					"spring.data.redis.lettuce.cluster.refresh.adaptive=false")
			.run((context) -> {
				ClusterTopologyRefreshOptions refresh = refreshOptions(context);
				assertThat(refresh.getAdaptiveRefreshTriggers()).isEmpty();
				assertThat(refresh.isPeriodicRefreshEnabled()).isFalse();
			});
	}

	@Test
	void memoryStoreShouldLeaveTheClientAsBootConfiguresIt() {
		this.contextRunner.withPropertyValues("presence.store=memory")
			.run((context) -> assertThat(factory(context).getClientConfiguration().getCommandTimeout())
				.isEqualTo(Duration.ofSeconds(60)));
	}

	private static LettuceConnectionFactory factory(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		return context.getBean(LettuceConnectionFactory.class);
	}

	private static ClusterTopologyRefreshOptions refreshOptions(AssertableApplicationContext context) {
		ClientOptions options = factory(context).getClientConfiguration().getClientOptions().orElseThrow();
		assertThat(options).isInstanceOf(ClusterClientOptions.class);
		return ((ClusterClientOptions) options).getTopologyRefreshOptions();
	}

}
