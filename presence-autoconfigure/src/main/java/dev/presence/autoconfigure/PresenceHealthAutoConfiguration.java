package dev.presence.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.presence.actuate.PresenceHealthIndicator;
import dev.presence.engine.PresenceTopics;
import dev.presence.store.PresenceStore;
import dev.presence.websocket.PresenceConnections;

/**
 * Auto-configuration for the {@code presence} health indicator.
 */
@AutoConfiguration(after = { PresenceAutoConfiguration.class, PresenceWebSocketAutoConfiguration.class })
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean({ PresenceStore.class, PresenceTopics.class })
@ConditionalOnEnabledHealthIndicator("presence")
public final class PresenceHealthAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(PresenceConnections.class)
	static class WithConnections {

		@Bean
		@ConditionalOnMissingBean(name = "presenceHealthIndicator")
		PresenceHealthIndicator presenceHealthIndicator(PresenceStore store, PresenceTopics topics,
				PresenceProperties properties, PresenceConnections connections) {
			return new PresenceHealthIndicator(store, topics, properties.getTimeout(), connections::connectionCount);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(PresenceConnections.class)
	static class WithoutConnections {

		@Bean
		@ConditionalOnMissingBean(name = "presenceHealthIndicator")
		PresenceHealthIndicator presenceHealthIndicator(PresenceStore store, PresenceTopics topics,
				PresenceProperties properties) {
			return new PresenceHealthIndicator(store, topics, properties.getTimeout(), null);
		}

	}

}
