package dev.presence.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.ClassPathResource;

import dev.presence.test.ThrowawayRedis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo page in a real browser: {@code src/test/browser/demo-page.test.js} drives two
 * headless Chromium contexts (Playwright) against the sample application on a random port,
 * backed by a private {@code redis-server}.
 * <p>
 * Needs {@code node} and {@code npm} on the {@code PATH} and Chromium at
 * {@code /usr/bin/chromium} (or {@code CHROMIUM_PATH}); {@code npm ci} runs only when
 * {@code node_modules} is missing or older than {@code package-lock.json}. Screenshots go to
 * {@code target/browser-screenshots}.
 */
@ThrowawayRedis
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
class DemoPageBrowserTests {

	private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(2);

	@LocalServerPort
	private int port;

	@Test
	void twoVisitorsSeeEachOtherArriveChangeStatusAndLeave() throws Exception {
		assertThat(new ClassPathResource("static/demo.js").exists())
			.as("static/demo.js is bundled by the Maven build (npm run build in generate-resources); "
					+ "build the module with Maven before running this test")
			.isTrue();
		Path scripts = browserTestDirectory();
		NodeCommands.installDependenciesIfStale(scripts);

		NodeCommands.Result result = NodeCommands.run(
				List.of(NodeCommands.executable("node").toString(), "demo-page.test.js"), scripts,
				Map.of("DEMO_URL", "http://127.0.0.1:" + this.port, "SCREENSHOT_DIR",
						scripts.resolve("../../../target/browser-screenshots").normalize().toString(), "NO_COLOR",
						"1"),
				SCRIPT_TIMEOUT, "browser");

		assertThat(result.exitCode()).as("node demo-page.test.js exited with %s; its output:%n%s",
				result.exitCode(), result.output())
			.isZero();
	}

	private static Path browserTestDirectory() {
		for (Path candidate : List.of(Path.of("src", "test", "browser"), Path.of("sample-app", "src", "test", "browser"))) {
			if (Files.isRegularFile(candidate.resolve("package.json"))) {
				return candidate.toAbsolutePath().normalize();
			}
		}
		throw new IllegalStateException("src/test/browser/package.json not found from " + Path.of("").toAbsolutePath());
	}

}
