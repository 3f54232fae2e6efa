package dev.presence.autoconfigure;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tomcat's per-session WebSocket output buffers follow
 * {@code presence.limits.container-buffer-size}, through the system property Tomcat reads,
 * and only when asked.
 */
class TomcatWebSocketBufferEnvironmentPostProcessorTests {

	private static final String KEY = TomcatWebSocketBufferEnvironmentPostProcessor.TOMCAT_BUFFER_SIZE;

	private String before;

	@BeforeEach
	void rememberSystemProperty() {
		this.before = System.getProperty(KEY);
		System.clearProperty(KEY);
	}

	@AfterEach
	void restoreSystemProperty() {
		if (this.before != null) {
			System.setProperty(KEY, this.before);
		}
		else {
			System.clearProperty(KEY);
		}
	}

	@Test
	void containerBufferSizeSizesTomcatsOutputBuffers() {
		postProcess(new MockEnvironment().withProperty("presence.limits.container-buffer-size", "1KB"));

		assertThat(System.getProperty(KEY)).isEqualTo("1024");
	}

	@Test
	void withoutContainerBufferSizeTomcatKeepsItsDefault() {
		postProcess(new MockEnvironment());

		assertThat(System.getProperty(KEY)).isNull();
	}

	@Test
	void aSizeAlreadyGivenToTheJvmIsKept() {
		System.setProperty(KEY, "4096");

		postProcess(new MockEnvironment().withProperty("presence.limits.container-buffer-size", "1KB"));

		assertThat(System.getProperty(KEY)).isEqualTo("4096");
	}

	@Test
	void presenceDisabledLeavesTomcatAlone() {
		postProcess(new MockEnvironment().withProperty("presence.limits.container-buffer-size", "1KB")
			.withProperty("presence.enabled", "false"));

		assertThat(System.getProperty(KEY)).isNull();
	}

	@Test
	void isRegisteredForSpringBoot() {
		// (Boot's own need constructor arguments; only ours is instantiated here)
		assertThat(SpringFactoriesLoader.forDefaultResourceLocation()
			.load(EnvironmentPostProcessor.class, FailureHandler.handleMessage((message, ex) -> {
			}))).hasAtLeastOneElementOfType(TomcatWebSocketBufferEnvironmentPostProcessor.class);
	}

	private static void postProcess(MockEnvironment environment) {
		new TomcatWebSocketBufferEnvironmentPostProcessor().postProcessEnvironment(environment, new SpringApplication());
	}

}
