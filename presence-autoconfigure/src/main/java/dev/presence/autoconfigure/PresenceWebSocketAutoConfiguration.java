package dev.presence.autoconfigure;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.util.unit.DataSize;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;

import dev.presence.core.ClientBroadcastEvent;
import dev.presence.engine.PresenceEventPublisher;
import dev.presence.engine.PresenceExecutors;
import dev.presence.engine.PresenceTopics;
import dev.presence.security.PresenceAuthenticator;
import dev.presence.security.PresenceAuthorizer;
import dev.presence.websocket.ChannelLimits;
import dev.presence.websocket.ConnectionMonitor;
import dev.presence.websocket.PresenceConnections;
import dev.presence.websocket.PresenceEndpointSettings;
import dev.presence.websocket.PresenceKeyBinding;
import dev.presence.websocket.netty.NettyPresenceServer;
import dev.presence.websocket.netty.NettyServerSettings;
import dev.presence.websocket.servlet.AmbientCredentialOriginInterceptor;
import dev.presence.websocket.servlet.PhoenixHandshakeInterceptor;
import dev.presence.websocket.servlet.PresenceHandshakeHandler;
import dev.presence.websocket.servlet.PresenceWebSocketHandler;
import dev.presence.websocket.servlet.WebSocketContainerBuffers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configuration for the presence WebSocket endpoint that the Supabase and Phoenix
 * clients connect to, on one of two transports: the application's own servlet container
 * (spring-websocket), or, when {@code presence.server.port} is set, a Reactor Netty
 * server of presence's own on that port. Both serve the node's
 * {@link PresenceConnections}.
 */
@AutoConfiguration(after = PresenceAutoConfiguration.class)
@ConditionalOnBean(PresenceTopics.class)
@Conditional(PresenceWebSocketAutoConfiguration.OnTransport.class)
public final class PresenceWebSocketAutoConfiguration {

	private static final String SERVER_PORT = "presence.server.port";

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
	PresenceConnections presenceConnections(PresenceTopics topics, PresenceExecutors executors,
			PresenceProperties properties, ObjectProvider<ConnectionMonitor> monitor,
			PresenceAuthenticator authenticator, PresenceAuthorizer authorizer, PresenceKeyBinding keyBinding,
			PresenceEventPublisher eventPublisher) {
		PresenceProperties.Limits limits = properties.getLimits();
		ChannelLimits channelLimits = new ChannelLimits(Math.toIntExact(limits.getMaxFrameSize().toBytes()),
				Math.toIntExact(limits.getMaxStateSize().toBytes()), limits.getMaxChannelsPerConnection(),
				limits.getMaxTopicLength(), limits.getMaxPendingFrames(), limits.getMaxJoinsPerSecond(),
				limits.getMaxPresencesPerTopic(),
				limits.getTrackCoalesceWindow(), limits.getMaxPresenceMessages(), limits.getPresenceMessageWindow(),
				Math.toIntExact(limits.getMaxStateSizePerConnection().toBytes()), limits.getMaxBroadcastsPerSecond(),
				Math.toIntExact(limits.getMaxBroadcastPayloadSize().toBytes()));
		PresenceProperties.Events events = properties.getEvents();
		Consumer<ClientBroadcastEvent> broadcastReceived = (events.isEnabled() && events.isClientBroadcasts())
				? eventPublisher::publish : (event) -> {
				};
		return new PresenceConnections(new PresenceEndpointSettings(topics, JsonMapper.builder().build(),
				channelLimits, limits.getMaxConnections(), limits.getSendTimeLimit(),
				Math.toIntExact(limits.getSendBufferSize().toBytes()), properties.getBatchWindow(),
				executors.dispatch(), executors.scheduler(), monitor.getIfAvailable(() -> ConnectionMonitor.NONE),
				authenticator, authorizer, keyBinding, limits.getIdleTimeout(), Clock.systemUTC(), broadcastReceived));
	}

	/**
	 * Presence on the application's servlet container, at the endpoint path.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
	@ConditionalOnClass(WebSocketConfigurer.class)
	@Conditional(NoServerPort.class)
	@EnableWebSocket
	static class ServletTransportConfiguration {

		@Bean
		@ConditionalOnMissingBean
		PresenceWebSocketHandler presenceWebSocketHandler(PresenceConnections connections) {
			return new PresenceWebSocketHandler(connections);
		}

		@Bean
		@ConditionalOnProperty(name = "presence.limits.container-buffer-size")
		@ConditionalOnMissingBean
		WebSocketContainerBuffers presenceWebSocketContainerBuffers(PresenceProperties properties) {
			DataSize size = properties.getLimits().getContainerBufferSize();
			return new WebSocketContainerBuffers(Math.toIntExact((size != null) ? size.toBytes() : 8192));
		}

		@Bean
		WebSocketConfigurer presenceWebSocketConfigurer(PresenceWebSocketHandler handler,
				PresenceConnections connections, PresenceProperties properties) {
			PhoenixHandshakeInterceptor interceptor = new PhoenixHandshakeInterceptor(connections);
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

	/**
	 * Presence on a Reactor Netty server of its own, on {@code presence.server.port}.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "reactor.netty.http.server.HttpServer")
	@ConditionalOnProperty(SERVER_PORT)
	static class NettyTransportConfiguration {

		/** The property that holds the port the Reactor Netty server listens on. */
		static final String LOCAL_SERVER_PORT = "local.presence.server.port";

		private static final String PORTS_PROPERTY_SOURCE = "server.ports";

		@Bean
		@ConditionalOnMissingBean
		NettyPresenceServer nettyPresenceServer(PresenceConnections connections, PresenceProperties properties,
				ConfigurableEnvironment environment) {
			PresenceProperties.Server server = properties.getServer();
			Integer port = server.getPort();
			return new NettyPresenceServer(connections,
					new NettyServerSettings(server.getAddress(), (port != null) ? port : 0, properties.getEndpoint(),
							properties.getAllowedOrigins(), properties.getCompression().isEnabled(),
							server.getShutdownTimeout()),
					(listening) -> publishPort(environment, listening));
		}

		/**
		 * Make the port the server listens on known as {@code local.presence.server.port},
		 * as Spring Boot does for its web server's with {@code local.server.port}.
		 */
		@SuppressWarnings("unchecked")
		private static void publishPort(ConfigurableEnvironment environment, int port) {
			MutablePropertySources sources = environment.getPropertySources();
			PropertySource<?> ports = sources.get(PORTS_PROPERTY_SOURCE);
			if (ports == null) {
				ports = new MapPropertySource(PORTS_PROPERTY_SOURCE, new HashMap<>());
				sources.addFirst(ports);
			}
			((Map<String, Object>) ports.getSource()).put(LOCAL_SERVER_PORT, port);
		}

	}

	/**
	 * {@code presence.server.port} asks for a server that cannot run: fail at start-up with
	 * what to add, rather than serve presence nowhere.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("reactor.netty.http.server.HttpServer")
	@ConditionalOnProperty(SERVER_PORT)
	static class MissingNettyConfiguration {

		MissingNettyConfiguration() {
			throw new IllegalStateException("presence.server.port is set, but Reactor Netty is not on the class path: "
					+ "add io.projectreactor.netty:reactor-netty-http (its version comes from Spring Boot), "
					+ "or remove presence.server.port to serve presence on the application's own server");
		}

	}

	/**
	 * A transport can serve presence: a servlet web application with spring-websocket, or
	 * {@code presence.server.port} set (Reactor Netty).
	 */
	static final class OnTransport extends AnyNestedCondition {

		OnTransport() {
			super(ConfigurationPhase.REGISTER_BEAN);
		}

		@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
		@ConditionalOnClass(name = "org.springframework.web.socket.config.annotation.WebSocketConfigurer")
		static final class Servlet {

		}

		@ConditionalOnProperty(SERVER_PORT)
		static final class Netty {

		}

	}

	/**
	 * {@code presence.server.port} is not set: presence stays on the servlet container.
	 */
	static final class NoServerPort extends NoneNestedConditions {

		NoServerPort() {
			super(ConfigurationPhase.PARSE_CONFIGURATION);
		}

		@ConditionalOnProperty(SERVER_PORT)
		static final class ServerPort {

		}

	}

}
