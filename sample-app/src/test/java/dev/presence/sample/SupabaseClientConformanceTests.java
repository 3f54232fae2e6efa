package dev.presence.sample;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.presence.test.PresencePort;
import dev.presence.test.TestTransport;
import dev.presence.test.ThrowawayRedis;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * Runs the client conformance suite of {@code src/test/js} (docs/protocol.md §6, with the unmodified
 * {@code @supabase/supabase-js} and {@code phoenix} clients under Node's test runner) against the
 * sample application on a random port, backed by a real {@code redis-server}, and reports every
 * JavaScript case as its own JUnit test.
 *
 * <p>Needs {@code node} (20 or later) and {@code npm} on the {@code PATH}; {@code npm ci} runs when
 * {@code node_modules} is missing or older than {@code package-lock.json}.
 */
@ThrowawayRedis
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "presence.limits.max-state-size=4KB")
class SupabaseClientConformanceTests {

	private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(5);

	@PresencePort
	private int port;

	@TestFactory
	Stream<DynamicTest> supabaseClientConformance() throws Exception {
		return runSuite("single-node", Map.of("PRESENCE_URL", "http://127.0.0.1:" + this.port));
	}

	/**
	 * Runs the whole suite with the given environment ({@code PRESENCE_URL}, and
	 * {@code PRESENCE_URL_B} to put every other client of a case on a second node).
	 */
	static Stream<DynamicTest> runSuite(String name, Map<String, String> urls) throws Exception {
		Path jsDir = locateSuite();
		Path node = NodeCommands.executable("node");
		NodeCommands.installDependenciesIfStale(jsDir);
		Path reportDir = jsDir.resolve("../../../target/client-conformance").normalize();
		Files.createDirectories(reportDir);
		Path tapFile = reportDir.resolve(name + "-" + TestTransport.current().name().toLowerCase() + ".tap");
		Files.deleteIfExists(tapFile);

		// No --test-force-exit: it exits before the TAP file is flushed; every case disconnects its clients.
		List<String> command = new ArrayList<>(List.of(node.toString(), "--test", "--test-concurrency=4",
				"--test-timeout=120000", "--test-reporter=spec",
				"--test-reporter-destination=stdout", "--test-reporter=tap",
				"--test-reporter-destination=" + tapFile));
		command.addAll(testFiles(jsDir));
		Map<String, String> env = new HashMap<>(urls);
		env.put("NO_COLOR", "1");
		NodeCommands.Result run = NodeCommands.run(command, jsDir, env, SUITE_TIMEOUT, "node");

		List<TapResult> results = Files.exists(tapFile)
				? TapParser.parse(Files.readAllLines(tapFile, StandardCharsets.UTF_8)) : List.of();
		List<DynamicTest> tests = new ArrayList<>();
		for (TapResult result : results) {
			tests.add(DynamicTest.dynamicTest(result.displayName(), result::verify));
		}
		boolean anyFailureParsed = results.stream().anyMatch((result) -> !result.ok());
		if (run.timedOut()) {
			tests.add(DynamicTest.dynamicTest("node --test finished within " + SUITE_TIMEOUT.toMinutes() + " min", () -> {
				throw new AssertionFailedError("node --test was killed after " + SUITE_TIMEOUT + "; output:\n" + run.output());
			}));
		}
		else if (run.exitCode() != 0 && !anyFailureParsed) {
			tests.add(DynamicTest.dynamicTest("node --test exit status", () -> {
				throw new AssertionFailedError("node --test exited with " + run.exitCode()
						+ " but no failing case was reported; output:\n" + run.output());
			}));
		}
		if (results.isEmpty() && !run.timedOut() && run.exitCode() == 0) {
			tests.add(DynamicTest.dynamicTest("node --test reported cases", () -> {
				throw new AssertionFailedError("node --test reported no case; output:\n" + run.output());
			}));
		}
		return tests.stream();
	}

	private static Path locateSuite() {
		List<Path> candidates = new ArrayList<>();
		String basedir = System.getProperty("basedir");
		if (basedir != null) {
			candidates.add(Path.of(basedir, "src", "test", "js"));
		}
		candidates.add(Path.of("src", "test", "js"));
		candidates.add(Path.of("sample-app", "src", "test", "js"));
		for (Path candidate : candidates) {
			if (Files.isRegularFile(candidate.resolve("package.json"))) {
				return candidate.toAbsolutePath().normalize();
			}
		}
		throw new IllegalStateException("Client conformance suite (src/test/js/package.json) not found; looked in "
				+ candidates.stream().map((p) -> p.toAbsolutePath().toString()).toList());
	}

	private static List<String> testFiles(Path jsDir) throws IOException {
		try (Stream<Path> files = Files.list(jsDir)) {
			List<String> names = files.map((file) -> file.getFileName().toString())
				.filter((name) -> name.endsWith(".test.js"))
				.sorted()
				.toList();
			if (names.isEmpty()) {
				throw new IllegalStateException("No *.test.js file in " + jsDir);
			}
			return names;
		}
	}

	/** One test point of the TAP stream: a case, or a suite that failed on its own (a hook, a load error). */
	record TapResult(String displayName, boolean ok, String directive, String diagnostic) {

		boolean skipped() {
			return this.directive != null && this.directive.toUpperCase().startsWith("SKIP");
		}

		void verify() {
			if (this.directive != null && this.directive.toUpperCase().startsWith("TODO")) {
				throw new TestAbortedException("TODO: " + this.directive);
			}
			if (skipped()) {
				throw new TestAbortedException(this.directive);
			}
			if (!this.ok) {
				throw new AssertionFailedError(this.displayName + ": " + firstErrorLine() + "\n" + this.diagnostic);
			}
		}

		/** The first line of the YAML {@code error:} field (inline or a {@code |-} block). */
		private String firstErrorLine() {
			List<String> lines = this.diagnostic.lines().toList();
			for (int i = 0; i < lines.size(); i++) {
				String line = lines.get(i);
				if (line.startsWith("error: ")) {
					String value = line.substring("error: ".length()).trim();
					if (value.startsWith("|") && i + 1 < lines.size()) {
						return lines.get(i + 1).trim();
					}
					return value.replaceAll("^'|'$", "");
				}
			}
			return "failed";
		}

	}

	/**
	 * Reads the TAP 13 stream of Node's {@code tap} reporter: {@code # Subtest: name} opens a test at
	 * an indentation of four spaces per level, {@code ok N - name} / {@code not ok N - name} closes it,
	 * and an indented YAML block between {@code ---} and {@code ...} carries its diagnostic (suites have
	 * {@code type: 'suite'}).
	 */
	static final class TapParser {

		private static final Pattern SUBTEST = Pattern.compile("^( *)# Subtest: (.*)$");

		private static final Pattern RESULT = Pattern.compile("^( *)(not ok|ok) \\d+(?: - (.*))?$");

		private TapParser() {
		}

		static List<TapResult> parse(List<String> lines) {
			List<TapResult> results = new ArrayList<>();
			List<String> path = new ArrayList<>();
			for (int i = 0; i < lines.size(); i++) {
				String line = lines.get(i);
				Matcher subtest = SUBTEST.matcher(line);
				if (subtest.matches()) {
					int level = subtest.group(1).length() / 4;
					truncate(path, level);
					path.add(unescape(subtest.group(2)));
					continue;
				}
				Matcher result = RESULT.matcher(line);
				if (!result.matches()) {
					continue;
				}
				int level = result.group(1).length() / 4;
				String[] nameAndDirective = splitDirective(result.group(3) != null ? result.group(3) : "");
				List<String> yaml = new ArrayList<>();
				if (i + 1 < lines.size() && lines.get(i + 1).trim().equals("---")) {
					int j = i + 2;
					while (j < lines.size() && !lines.get(j).trim().equals("...")) {
						yaml.add(lines.get(j));
						j++;
					}
					i = j;
				}
				truncate(path, level);
				List<String> names = new ArrayList<>(path);
				names.add(nameAndDirective[0]);
				String diagnostic = dedent(yaml);
				boolean ok = result.group(2).equals("ok");
				boolean suite = diagnostic.contains("type: 'suite'");
				boolean failedOnItsOwn = !ok && !diagnostic.contains("failureType: 'subtestsFailed'");
				if (!suite || failedOnItsOwn) {
					results.add(new TapResult(String.join(" › ", names), ok, nameAndDirective[1], diagnostic));
				}
			}
			return results;
		}

		private static void truncate(List<String> path, int size) {
			while (path.size() > size) {
				path.remove(path.size() - 1);
			}
		}

		/** Splits {@code name # DIRECTIVE} at the first unescaped {@code #} and unescapes the name. */
		private static String[] splitDirective(String description) {
			for (int i = 0; i < description.length(); i++) {
				char c = description.charAt(i);
				if (c == '\\') {
					i++;
				}
				else if (c == '#') {
					return new String[] { unescape(description.substring(0, i).trim()),
							description.substring(i + 1).trim() };
				}
			}
			return new String[] { unescape(description.trim()), null };
		}

		private static String unescape(String text) {
			StringBuilder out = new StringBuilder(text.length());
			for (int i = 0; i < text.length(); i++) {
				char c = text.charAt(i);
				if (c == '\\' && i + 1 < text.length()) {
					char next = text.charAt(i + 1);
					if (next == '#' || next == '\\') {
						out.append(next);
						i++;
						continue;
					}
					if (next == 'n') {
						out.append('\n');
						i++;
						continue;
					}
				}
				out.append(c);
			}
			return out.toString();
		}

		private static String dedent(List<String> lines) {
			int indent = lines.stream()
				.filter((line) -> !line.isBlank())
				.mapToInt((line) -> line.length() - line.stripLeading().length())
				.min()
				.orElse(0);
			StringBuilder out = new StringBuilder();
			for (String line : lines) {
				out.append(line.length() >= indent ? line.substring(indent) : line.strip()).append('\n');
			}
			return out.toString();
		}

	}

}
