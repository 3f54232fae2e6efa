package dev.presence.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.security.oauth2.jwt.JwtDecoder;

import dev.presence.security.JwtPresenceAuthenticator;
import dev.presence.security.PresenceAuthenticator;

/**
 * Auto-configuration that authenticates presence clients with the application's
 * {@link JwtDecoder}.
 * <p>
 * The handshake itself goes through the application's {@code SecurityFilterChain} like
 * any request: its endpoint path must be permitted or authenticated there, the principal
 * it authenticates reaches {@code WebSocketSession#getPrincipal()} and is used when a
 * client sends no token, and CSRF protection does not apply to the upgrade (a
 * {@code GET}).
 */
@AutoConfiguration(before = PresenceWebSocketAutoConfiguration.class,
		afterName = "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet.OAuth2ResourceServerAutoConfiguration")
@ConditionalOnClass(JwtDecoder.class)
@ConditionalOnSingleCandidate(JwtDecoder.class)
@ConditionalOnBooleanProperty(name = "presence.security.jwt.enabled", matchIfMissing = true)
public final class PresenceSecurityAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(PresenceAuthenticator.class)
	JwtPresenceAuthenticator jwtPresenceAuthenticator(JwtDecoder jwtDecoder) {
		return new JwtPresenceAuthenticator(jwtDecoder);
	}

}
