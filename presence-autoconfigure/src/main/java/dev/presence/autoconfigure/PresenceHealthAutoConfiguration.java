package dev.presence.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.WebSocketHandler;

import dev.presence.actuate.PresenceHealthIndicator;
import dev.presence.core.PresenceStore;
import dev.presence.core.PresenceTopics;
import dev.presence.websocket.PresenceWebSocketHandler;

/**
 * Auto-configuration for the {@code presence} health indicator.
 */
@AutoConfiguration(after = { PresenceAutoConfiguration.class, PresenceWebSocketAutoConfiguration.class })
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean({ PresenceStore.class, PresenceTopics.class })
@ConditionalOnEnabledHealthIndicator("presence")
public final class PresenceHealthAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebSocketHandler.class)
	@ConditionalOnBean(PresenceWebSocketHandler.class)
	static class WithConnections {

		@Bean
		@ConditionalOnMissingBean(name = "presenceHealthIndicator")
		PresenceHealthIndicator presenceHealthIndicator(PresenceStore store, PresenceTopics topics,
				PresenceProperties properties, PresenceWebSocketHandler handler) {
			return new PresenceHealthIndicator(store, topics, properties.getTimeout(), handler::connectionCount);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(type = "dev.presence.websocket.PresenceWebSocketHandler")
	static class WithoutConnections {

		@Bean
		@ConditionalOnMissingBean(name = "presenceHealthIndicator")
		PresenceHealthIndicator presenceHealthIndicator(PresenceStore store, PresenceTopics topics,
				PresenceProperties properties) {
			return new PresenceHealthIndicator(store, topics, properties.getTimeout(), null);
		}

	}

}
