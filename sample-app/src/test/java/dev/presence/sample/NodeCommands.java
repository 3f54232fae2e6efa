package dev.presence.sample;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs the Node parts of the test suite (the client conformance suite, the browser test):
 * finds {@code node} and {@code npm}, installs a folder's locked dependencies when they
 * are missing or stale, and runs a command to its end or its deadline.
 */
final class NodeCommands {

	private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

	private static final int TAIL_LINES = 400;

	private NodeCommands() {
	}

	/**
	 * An executable on the {@code PATH}.
	 * @param name {@code node} or {@code npm}
	 * @return its path
	 * @throws IllegalStateException with what to install when it is missing
	 */
	static Path executable(String name) {
		String path = System.getenv("PATH");
		boolean windows = System.getProperty("os.name", "").toLowerCase().startsWith("windows");
		List<String> names = windows ? List.of(name + ".exe", name + ".cmd", name) : List.of(name);
		if (path != null) {
			for (String dir : path.split(Pattern.quote(File.pathSeparator))) {
				for (String candidate : names) {
					Path file = Path.of(dir).resolve(candidate);
					if (Files.isRegularFile(file) && Files.isExecutable(file)) {
						return file;
					}
				}
			}
		}
		throw new IllegalStateException("'" + name + "' was not found on the PATH (" + path
				+ "). The client and browser tests need Node.js 20 or later and npm: install them "
				+ "and put them on the PATH.");
	}

	/**
	 * Run {@code npm ci} in a folder whose {@code node_modules} is missing or older than its
	 * {@code package-lock.json}.
	 * @param directory the folder
	 * @throws IllegalStateException when {@code npm ci} fails
	 */
	static void installDependenciesIfStale(Path directory) throws Exception {
		Path lock = directory.resolve("package-lock.json");
		Path installed = directory.resolve("node_modules").resolve(".package-lock.json");
		if (Files.exists(installed)
				&& Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(lock)) >= 0) {
			return;
		}
		Result install = run(List.of(executable("npm").toString(), "ci", "--no-audit", "--no-fund"), directory,
				Map.of(), INSTALL_TIMEOUT, "npm");
		if (install.timedOut() || install.exitCode() != 0) {
			throw new IllegalStateException("npm ci in " + directory + " failed ("
					+ (install.timedOut() ? "timed out" : "exit " + install.exitCode()) + "):\n" + install.output());
		}
	}

	/**
	 * Run a command, copying its output (stdout and stderr) line by line to this JVM's
	 * stdout, and kill it with its descendants when it does not finish in time.
	 * @param command the command
	 * @param directory its working directory
	 * @param environment variables added to this JVM's
	 * @param timeout its deadline
	 * @param label the prefix of its echoed lines
	 * @return how it ended, with the last lines of its output
	 */
	static Result run(List<String> command, Path directory, Map<String, String> environment, Duration timeout,
			String label) throws Exception {
		System.out.println("[" + label + "] " + String.join(" ", command) + " (in " + directory + ")");
		ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
		builder.environment().putAll(environment);
		Process process = builder.start();
		OutputTail tail = new OutputTail(TAIL_LINES);
		Thread pump = new Thread(() -> {
			try (BufferedReader reader = new BufferedReader(
					new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = reader.readLine()) != null) {
					System.out.println("[" + label + "] " + line);
					tail.add(line);
				}
			}
			catch (IOException ex) {
				tail.add("<output unreadable: " + ex + ">");
			}
		}, label + "-output");
		pump.setDaemon(true);
		pump.start();
		boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		if (!finished) {
			process.descendants().forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
			process.waitFor(10, TimeUnit.SECONDS);
		}
		pump.join(TimeUnit.SECONDS.toMillis(10));
		return new Result(finished ? process.exitValue() : -1, !finished, tail.text());
	}

	/**
	 * How a command ended.
	 *
	 * @param exitCode its exit code, {@code -1} when it was killed
	 * @param timedOut whether it was killed at its deadline
	 * @param output the last lines of its output
	 */
	record Result(int exitCode, boolean timedOut, String output) {
	}

	/** The last lines of a process's output, for failure messages. */
	private static final class OutputTail {

		private final int limit;

		private final List<String> lines = new ArrayList<>();

		OutputTail(int limit) {
			this.limit = limit;
		}

		synchronized void add(String line) {
			this.lines.add(line);
			if (this.lines.size() > this.limit) {
				this.lines.remove(0);
			}
		}

		synchronized String text() {
			return String.join("\n", this.lines);
		}

	}

}
