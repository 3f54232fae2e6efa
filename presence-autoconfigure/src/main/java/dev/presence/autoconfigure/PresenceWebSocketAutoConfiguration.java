package dev.presence.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

import dev.presence.core.PresenceExecutors;
import dev.presence.core.PresenceMonitor;
import dev.presence.core.PresenceTopics;
import dev.presence.websocket.ChannelLimits;
import dev.presence.websocket.PhoenixHandshakeInterceptor;
import dev.presence.websocket.PresenceWebSocketHandler;
import dev.presence.websocket.V1JsonSerializer;
import dev.presence.websocket.V2JsonSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configuration for the presence WebSocket endpoint
 * that the Supabase and Phoenix clients connect to.
 */
@AutoConfiguration(after = PresenceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(WebSocketConfigurer.class)
@ConditionalOnBean(PresenceTopics.class)
@EnableWebSocket
public final class PresenceWebSocketAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PresenceWebSocketHandler presenceWebSocketHandler(PresenceTopics topics, PresenceExecutors executors,
			PresenceProperties properties, ObjectProvider<PresenceMonitor> monitor) {
		PresenceProperties.Limits limits = properties.getLimits();
		ChannelLimits channelLimits = new ChannelLimits(Math.toIntExact(limits.getMaxFrameSize().toBytes()),
				Math.toIntExact(limits.getMaxStateSize().toBytes()),
				limits.getMaxChannelsPerConnection(), limits.getMaxPendingFrames());
		return new PresenceWebSocketHandler(topics, JsonMapper.builder().build(), channelLimits, executors.dispatch(),
				Math.toIntExact(limits.getSendTimeLimit().toMillis()),
				Math.toIntExact(limits.getSendBufferSize().toBytes()), monitor.getIfAvailable(() -> PresenceMonitor.NONE),
				executors.scheduler(), properties.getBatchWindow());
	}

	@Bean
	WebSocketConfigurer presenceWebSocketConfigurer(PresenceWebSocketHandler handler, PresenceProperties properties) {
		JsonMapper mapper = JsonMapper.builder().build();
		PhoenixHandshakeInterceptor interceptor = new PhoenixHandshakeInterceptor(
				List.of(new V1JsonSerializer(mapper), new V2JsonSerializer(mapper)));
		return (registry) -> registry.addHandler(handler, properties.getEndpoint())
			.addInterceptors(interceptor)
			.setAllowedOriginPatterns(properties.getAllowedOrigins().toArray(String[]::new));
	}

	@Bean
	@ConditionalOnMissingBean
	ServletServerContainerFactoryBean presenceWebSocketContainer(PresenceProperties properties) {
		PresenceProperties.Limits limits = properties.getLimits();
		ServletServerContainerFactoryBean container = new ServletServerContainerFactoryBean();
		container.setMaxSessionIdleTimeout(limits.getIdleTimeout().toMillis());
		return container;
	}

}
