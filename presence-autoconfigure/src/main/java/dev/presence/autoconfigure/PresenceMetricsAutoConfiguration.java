package dev.presence.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.presence.actuate.MicrometerPresenceMonitor;
import dev.presence.actuate.PresenceConnectionMetrics;
import dev.presence.actuate.PresenceEventMetrics;
import dev.presence.actuate.PresenceTopicMetrics;
import dev.presence.engine.PresenceMonitor;
import dev.presence.engine.PresenceTopics;
import dev.presence.websocket.ConnectionMonitor;
import dev.presence.websocket.PresenceConnections;

/**
 * Auto-configuration for the {@code presence.*} Micrometer meters.
 */
@AutoConfiguration(after = { MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
		SimpleMetricsExportAutoConfiguration.class, PresenceAutoConfiguration.class,
		PresenceWebSocketAutoConfiguration.class })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, PresenceTopics.class })
public final class PresenceMetricsAutoConfiguration {

	/**
	 * The meters of the engine and of the connections, in one bean that is both monitors;
	 * an application's own monitor of either kind replaces it.
	 */
	@Bean
	@ConditionalOnMissingBean({ PresenceMonitor.class, ConnectionMonitor.class })
	MicrometerPresenceMonitor presenceMonitor(MeterRegistry registry) {
		return new MicrometerPresenceMonitor(registry);
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceTopicMetrics presenceTopicMetrics(PresenceTopics topics) {
		return new PresenceTopicMetrics(topics);
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceEventMetrics presenceEventMetrics(MeterRegistry registry) {
		return new PresenceEventMetrics(registry);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnBean(PresenceConnections.class)
	static class ConnectionMetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		PresenceConnectionMetrics presenceConnectionMetrics(PresenceConnections connections) {
			return new PresenceConnectionMetrics(connections);
		}

	}

}
