package dev.presence.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a developer sees when the application starts: which store presence uses, and, when
 * Redis cannot be reached, an explanation with what to do instead of a stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
class PresenceStoreStartupTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PresenceAutoConfiguration.class));

	@Test
	void unreachableRedisFailsTheStartWithAnAnalysisThatSaysWhatToDo() {
		// given a Redis connection factory for a port nothing listens on
		this.contextRunner.withUserConfiguration(PresenceAutoConfigurationTests.LettuceConfiguration.class)
			.run((context) -> {
				// then the application does not start
				assertThat(context).hasFailed();
				// and Spring Boot's failure analyzers (as registered) explain why and what to do
				FailureAnalysis analysis = analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("cannot connect to Redis")
					.contains("127.0.0.1")
					.contains(":1");
				assertThat(analysis.getAction()).contains("spring.data.redis.host")
					.contains("presence.store=memory");
			});
	}

	@Test
	void memoryStoreSaysSoAtStartup(CapturedOutput output) {
		this.contextRunner.withPropertyValues("presence.store=memory").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("in memory (presence.store=memory")
				.contains("presence is not shared with other nodes");
		});
	}

	private static FailureAnalysis analyze(Throwable failure) {
		// (analyzers that need a bean factory are skipped: not ours)
		for (FailureAnalyzer analyzer : SpringFactoriesLoader.forDefaultResourceLocation()
			.load(FailureAnalyzer.class, FailureHandler.handleMessage((message, ex) -> {
			}))) {
			FailureAnalysis analysis = analyzer.analyze(failure);
			if (analysis != null && analyzer instanceof PresenceStoreUnavailableFailureAnalyzer) {
				return analysis;
			}
		}
		return null;
	}

}
