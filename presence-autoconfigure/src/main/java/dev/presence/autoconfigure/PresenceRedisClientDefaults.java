package dev.presence.autoconfigure;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration.LettuceClientConfigurationBuilder;

/**
 * Defaults of the Lettuce client that suit presence, for every setting the user left
 * unset: a command timeout of seconds, reconnection attempts at most half a second apart,
 * and on a Redis Cluster a topology that follows a failover. A setting made with Boot's
 * own property ({@code spring.data.redis.timeout},
 * {@code spring.data.redis.lettuce.cluster.refresh.adaptive} or {@code .period}) is kept
 * as the user made it, and the user's own customizers run after these (this one comes
 * first), so they win.
 * <p>
 * Boot leaves Lettuce's command timeout at 60 seconds, its reconnection delay growing to
 * 30 seconds and its cluster topology refresh off: a node then keeps sending a dead
 * master's slots to the dead master long after a replica took over, reconnects seconds
 * after a Sentinel promoted the replica, and a heartbeat that cannot be written blocks
 * for a minute.
 */
final class PresenceRedisClientDefaults implements LettuceClientConfigurationBuilderCustomizer,
		LettuceClientOptionsBuilderCustomizer, ClientResourcesBuilderCustomizer, Ordered {

	/** The command timeout unless {@code spring.data.redis.timeout} is set. */
	static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

	/** How often a cluster's topology is read unless a refresh property is set. */
	static final Duration REFRESH_PERIOD = Duration.ofSeconds(1);

	/**
	 * The least time between two refreshes an event triggers (Lettuce's default, 30
	 * seconds, would miss the promotion that follows the first trigger by a few seconds).
	 */
	static final Duration ADAPTIVE_REFRESH_TIMEOUT = Duration.ofSeconds(1);

	/** The longest wait between two attempts to reconnect to Redis. */
	static final Duration MAX_RECONNECT_DELAY = Duration.ofMillis(500);

	private static final String TIMEOUT = "spring.data.redis.timeout";

	private static final String REFRESH = "spring.data.redis.lettuce.cluster.refresh";

	private final Binder binder;

	PresenceRedisClientDefaults(Environment environment) {
		this.binder = Binder.get(environment);
	}

	@Override
	public void customize(LettuceClientConfigurationBuilder builder) {
		if (!isSet(TIMEOUT, Duration.class)) {
			builder.commandTimeout(COMMAND_TIMEOUT);
		}
	}

	@Override
	public void customize(ClientOptions.Builder builder) {
		if (!(builder instanceof ClusterClientOptions.Builder cluster) || isSet(REFRESH + ".adaptive", Boolean.class)
				|| isSet(REFRESH + ".period", Duration.class)) {
			return;
		}
		boolean dynamicSources = this.binder.bind(REFRESH + ".dynamic-refresh-sources", Boolean.class).orElse(true);
		cluster.topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
			.dynamicRefreshSources(dynamicSources)
			.enableAllAdaptiveRefreshTriggers()
			.adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_TIMEOUT)
			.enablePeriodicRefresh(REFRESH_PERIOD)
			.build());
	}

	@Override
	public void customize(ClientResources.Builder builder) {
		builder.reconnectDelay(Delay.exponential(Duration.ZERO, MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS));
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	private boolean isSet(String name, Class<?> type) {
		return this.binder.bind(name, Bindable.of(type)).isBound();
	}

}
