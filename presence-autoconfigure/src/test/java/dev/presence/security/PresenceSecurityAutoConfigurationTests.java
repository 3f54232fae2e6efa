package dev.presence.security;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.jwt.JwtDecoder;

import dev.presence.autoconfigure.PresenceSecurityAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When {@link PresenceSecurityAutoConfiguration} authenticates clients with the
 * application's {@link JwtDecoder}, and when it backs off.
 */
class PresenceSecurityAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PresenceSecurityAutoConfiguration.class));

	@Test
	void jwtDecoderShouldBeUsedToAuthenticate() {
		this.runner.withBean(JwtDecoder.class, TestTokens::decoder)
			.run((context) -> assertThat(context).hasSingleBean(PresenceAuthenticator.class)
				.getBean(PresenceAuthenticator.class)
				.isInstanceOf(JwtPresenceAuthenticator.class));
	}

	@Test
	void noJwtDecoderShouldBackOff() {
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(PresenceAuthenticator.class));
	}

	@Test
	void twoJwtDecodersShouldBackOff() {
		this.runner.withBean("one", JwtDecoder.class, TestTokens::decoder)
			.withBean("two", JwtDecoder.class, TestTokens::decoder)
			.run((context) -> assertThat(context).doesNotHaveBean(PresenceAuthenticator.class));
	}

	@Test
	void jwtDisabledShouldBackOff() {
		this.runner.withBean(JwtDecoder.class, TestTokens::decoder)
			.withPropertyValues("presence.security.jwt.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(PresenceAuthenticator.class));
	}

	@Test
	void applicationAuthenticatorShouldWin() {
		this.runner.withBean(JwtDecoder.class, TestTokens::decoder)
			.withBean(PresenceAuthenticator.class, PresenceAuthenticator::permitAll)
			.run((context) -> assertThat(context).hasSingleBean(PresenceAuthenticator.class)
				.doesNotHaveBean(JwtPresenceAuthenticator.class));
	}

	@Test
	void withoutSpringSecurityShouldBackOff() {
		this.runner.withClassLoader(new FilteredClassLoader(JwtDecoder.class))
			.run((context) -> assertThat(context).doesNotHaveBean(PresenceAuthenticator.class));
	}

}
