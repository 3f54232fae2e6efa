package dev.presence.autoconfigure;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import dev.presence.actuate.PresenceEndpoint;
import dev.presence.core.PresenceService;
import dev.presence.engine.PresenceTopics;

/**
 * Auto-configuration for the {@code presence} actuator endpoint, which shows counts only
 * unless {@code management.endpoint.presence.show-states} says otherwise.
 */
@AutoConfiguration(after = PresenceAutoConfiguration.class)
@ConditionalOnClass({ ConditionalOnAvailableEndpoint.class, PresenceEndpoint.class })
@ConditionalOnBean({ PresenceTopics.class, PresenceService.class })
@ConditionalOnAvailableEndpoint(PresenceEndpoint.class)
@EnableConfigurationProperties(PresenceEndpointProperties.class)
public final class PresenceEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PresenceEndpoint presenceEndpoint(PresenceTopics topics, PresenceService service,
			PresenceEndpointProperties properties) {
		return new PresenceEndpoint(topics, service, properties.getShowStates(), properties.getRoles());
	}

}
