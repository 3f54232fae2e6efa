package dev.presence.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.ClassPathResource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.presence.test.RedisServer;

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
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
class DemoPageBrowserTests {

	private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

	private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(2);

	private static RedisServer redis;

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void redisProperties(DynamicPropertyRegistry registry) {
		redis = RedisServer.start();
		registry.add("spring.data.redis.host", redis::host);
		registry.add("spring.data.redis.port", redis::port);
	}

	@AfterAll
	static void stopRedis() {
		if (redis != null) {
			redis.close();
		}
	}

	@Test
	void twoVisitorsSeeEachOtherArriveChangeStatusAndLeave() throws Exception {
		assertThat(new ClassPathResource("static/demo.js").exists())
			.as("static/demo.js is bundled by the Maven build (npm run build in generate-resources); "
					+ "build the module with Maven before running this test")
			.isTrue();
		Path scripts = browserTestDirectory();
		installDependenciesIfStale(scripts);

		Result result = run(List.of("node", "demo-page.test.js"), scripts,
				Map.of("DEMO_URL", "http://127.0.0.1:" + this.port, "SCREENSHOT_DIR",
						scripts.resolve("../../../target/browser-screenshots").normalize().toString(), "NO_COLOR",
						"1"),
				SCRIPT_TIMEOUT);

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

	private static void installDependenciesIfStale(Path directory) throws Exception {
		Path lock = directory.resolve("package-lock.json");
		Path installed = directory.resolve("node_modules").resolve(".package-lock.json");
		if (Files.exists(installed)
				&& Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(lock)) >= 0) {
			return;
		}
		Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), directory, Map.of(), INSTALL_TIMEOUT);
		assertThat(install.exitCode()).as("npm ci in %s exited with %s; its output:%n%s", directory,
				install.exitCode(), install.output())
			.isZero();
	}

	/**
	 * Run a command to its end or its deadline, echoing and collecting its output; a command
	 * past its deadline is killed with its descendants and reported with exit code -1.
	 */
	private static Result run(List<String> command, Path directory, Map<String, String> environment,
			Duration timeout) throws Exception {
		ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
		builder.environment().putAll(environment);
		Process process;
		try {
			process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not run '" + String.join(" ", command) + "': the demo page "
					+ "browser test needs Node.js 20+ and npm on the PATH", ex);
		}
		StringBuffer output = new StringBuffer();
		Thread pump = new Thread(() -> {
			try (BufferedReader reader = new BufferedReader(
					new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
				for (String line = reader.readLine(); line != null; line = reader.readLine()) {
					System.out.println(line);
					output.append(line).append(System.lineSeparator());
				}
			}
			catch (IOException ex) {
				output.append("(output lost: ").append(ex).append(')');
			}
		}, "demo-page-output");
		pump.start();
		if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly().waitFor();
			pump.join(Duration.ofSeconds(5).toMillis());
			return new Result(-1, "(killed after " + timeout + ")" + System.lineSeparator() + output);
		}
		pump.join(Duration.ofSeconds(5).toMillis());
		return new Result(process.exitValue(), output.toString());
	}

	private record Result(int exitCode, String output) {
	}

}
