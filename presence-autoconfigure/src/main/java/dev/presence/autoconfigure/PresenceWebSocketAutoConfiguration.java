package dev.presence.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.util.unit.DataSize;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;

import dev.presence.core.PresenceExecutors;
import dev.presence.core.PresenceMonitor;
import dev.presence.core.PresenceTopics;
import dev.presence.security.PresenceAuthenticator;
import dev.presence.security.PresenceAuthorizer;
import dev.presence.websocket.AmbientCredentialOriginInterceptor;
import dev.presence.websocket.ChannelLimits;
import dev.presence.websocket.PhoenixHandshakeInterceptor;
import dev.presence.websocket.PresenceHandshakeHandler;
import dev.presence.websocket.PresenceEndpointSettings;
import dev.presence.websocket.PresenceKeyBinding;
import dev.presence.websocket.PresenceWebSocketHandler;
import dev.presence.websocket.V1JsonSerializer;
import dev.presence.websocket.V2JsonSerializer;
import dev.presence.websocket.WebSocketContainerBuffers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configuration for the presence WebSocket endpoint that the Supabase and Phoenix
 * clients connect to.
 */
@AutoConfiguration(after = PresenceAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(WebSocketConfigurer.class)
@ConditionalOnBean(PresenceTopics.class)
@EnableWebSocket
public final class PresenceWebSocketAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PresenceAuthenticator presenceAuthenticator() {
		return PresenceAuthenticator.permitAll();
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceAuthorizer presenceAuthorizer() {
		return PresenceAuthorizer.publicTopicsOnly();
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceKeyBinding presenceKeyBinding(PresenceProperties properties) {
		PresenceProperties.Security security = properties.getSecurity();
		return switch (security.getKeyBinding()) {
			case NONE -> PresenceKeyBinding.none();
			case PRINCIPAL -> PresenceKeyBinding.principalName();
			case CLAIM -> PresenceKeyBinding.claim(security.getKeyClaim());
		};
	}

	@Bean
	@ConditionalOnMissingBean
	PresenceWebSocketHandler presenceWebSocketHandler(PresenceTopics topics, PresenceExecutors executors,
			PresenceProperties properties, ObjectProvider<PresenceMonitor> monitor,
			PresenceAuthenticator authenticator, PresenceAuthorizer authorizer, PresenceKeyBinding keyBinding) {
		PresenceProperties.Limits limits = properties.getLimits();
		ChannelLimits channelLimits = new ChannelLimits(Math.toIntExact(limits.getMaxFrameSize().toBytes()),
				Math.toIntExact(limits.getMaxStateSize().toBytes()), limits.getMaxChannelsPerConnection(),
				limits.getMaxTopicLength(), limits.getMaxPendingFrames(), limits.getMaxJoinsPerSecond(),
				limits.getMaxPresencesPerTopic(),
				limits.getTrackCoalesceWindow(), limits.getMaxPresenceMessages(), limits.getPresenceMessageWindow(),
				Math.toIntExact(limits.getMaxStateSizePerConnection().toBytes()));
		return new PresenceWebSocketHandler(new PresenceEndpointSettings(topics, JsonMapper.builder().build(),
				channelLimits, limits.getMaxConnections(), limits.getSendTimeLimit(),
				Math.toIntExact(limits.getSendBufferSize().toBytes()), properties.getBatchWindow(),
				executors.dispatch(), executors.send(), executors.scheduler(), monitor.getIfAvailable(() -> PresenceMonitor.NONE),
				authenticator, authorizer, keyBinding, limits.getIdleTimeout()));
	}

	@Bean
	@ConditionalOnProperty(name = "presence.limits.container-buffer-size")
	@ConditionalOnMissingBean
	WebSocketContainerBuffers presenceWebSocketContainerBuffers(PresenceProperties properties) {
		DataSize size = properties.getLimits().getContainerBufferSize();
		return new WebSocketContainerBuffers(Math.toIntExact((size != null) ? size.toBytes() : 8192));
	}

	@Bean
	WebSocketConfigurer presenceWebSocketConfigurer(PresenceWebSocketHandler handler, PresenceProperties properties) {
		JsonMapper mapper = JsonMapper.builder().build();
		PhoenixHandshakeInterceptor interceptor = new PhoenixHandshakeInterceptor(
				List.of(new V1JsonSerializer(mapper), new V2JsonSerializer(mapper)));
		PresenceHandshakeHandler handshakeHandler = new PresenceHandshakeHandler(
				properties.getCompression().isEnabled());
		List<String> allowedOrigins = properties.getAllowedOrigins();
		if (allowedOrigins.isEmpty()) {
			return (registry) -> registry.addHandler(handler, properties.getEndpoint())
				.setHandshakeHandler(handshakeHandler)
				.addInterceptors(new AmbientCredentialOriginInterceptor(), interceptor)
				.setAllowedOriginPatterns("*");
		}
		return (registry) -> registry.addHandler(handler, properties.getEndpoint())
			.setHandshakeHandler(handshakeHandler)
			.addInterceptors(interceptor)
			.setAllowedOriginPatterns(allowedOrigins.toArray(String[]::new));
	}

}
