package dev.presence.actuate;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * Stands in for the WebSocket container configuration in a mock servlet environment,
 * which has no {@code jakarta.websocket.server.ServerContainer} to configure.
 */
@Configuration(proxyBeanMethods = false)
class MockServletWebSocketContainerConfiguration {

	@Bean
	ServletServerContainerFactoryBean presenceWebSocketContainer() {
		return new ServletServerContainerFactoryBean() {

			@Override
			public void afterPropertiesSet() {
			}

		};
	}

}
