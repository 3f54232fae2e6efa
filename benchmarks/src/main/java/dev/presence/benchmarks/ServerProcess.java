package dev.presence.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * One presence server node: the sample app in a JVM of its own, so that its CPU time,
 * resident memory and heap can be read from outside ({@code /proc} and {@code jcmd})
 * without the driver's own work being counted.
 */
final class ServerProcess implements AutoCloseable {

	/** Clock ticks per second of {@code /proc/<pid>/stat} ({@code getconf CLK_TCK}, 100 on Linux). */
	private static final double CLOCK_TICKS = 100.0;

	private static final Pattern G1_USED = Pattern.compile("garbage-first heap\\s+total (\\d+)K, used (\\d+)K");

	private static final Pattern ANY_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

	static final int SERVER_MAX_CONNECTIONS = 20_000;

	private static final java.util.concurrent.atomic.AtomicInteger RECORDINGS = new java.util.concurrent.atomic.AtomicInteger();

	private final String name;

	private final Process process;

	private final int port;

	private final int presencePort;

	private final Path log;

	private final Path workDir;

	private @Nullable Path profilerLibrary;

	private ServerProcess(String name, Process process, int port, int presencePort, Path log, Path workDir) {
		this.name = name;
		this.process = process;
		this.port = port;
		this.presencePort = presencePort;
		this.log = log;
		this.workDir = workDir;
	}

	/**
	 * Start a node and wait until its health endpoint answers.
	 */
	static ServerProcess start(String name, DriverOptions options, int redisPort, List<String> extraArgs)
			throws IOException, InterruptedException {
		int port = Ports.free();
		int presencePort = port;
		while (options.netty() && presencePort == port) {
			presencePort = Ports.free();
		}
		Path log = options.workDir().resolve("server-" + name + ".log");
		Files.createDirectories(log.getParent());
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(options.serverJvmArgs());
		if (options.jfr()) {
			// one file per node started: every scenario starts its own node A
			command.add("-XX:StartFlightRecording=filename="
					+ options.workDir().resolve("server-" + name + "-" + RECORDINGS.incrementAndGet() + ".jfr")
					+ ",settings=profile,dumponexit=true");
		}
		if (options.serverClasspath() != null) {
			command.add("-cp");
			command.add(options.serverClasspath());
			command.add("dev.presence.sample.SampleApplication");
		}
		else {
			command.add("-jar");
			command.add(options.serverJar().toString());
		}
		command.add("--server.port=" + port);
		command.add("--spring.data.redis.host=127.0.0.1");
		command.add("--spring.data.redis.port=" + redisPort);
		// Tomcat accepts at most 8,192 connections by default: more would queue unanswered
		command.add("--server.tomcat.max-connections=" + SERVER_MAX_CONNECTIONS);
		command.add("--server.tomcat.accept-count=1000");
		// track-rate sends far more presence messages per channel than the ceiling a real client gets
		command.add("--presence.limits.max-presence-messages=100000000");
		if (presencePort != port) {
			command.add("--presence.server.port=" + presencePort);
		}
		command.addAll(options.serverArgs());
		command.addAll(extraArgs);
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		ServerProcess server = new ServerProcess(name, process, port, presencePort, log, options.workDir());
		server.awaitHealthy(Duration.ofSeconds(240));
		return server;
	}

	private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/actuator/health"))
			.timeout(Duration.ofSeconds(2))
			.build();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (!this.process.isAlive()) {
				throw new IOException("Server " + this.name + " exited with " + this.process.exitValue() + ", see "
						+ this.log);
			}
			try {
				HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() == 200) {
					return;
				}
			}
			catch (IOException ex) {
				// not listening yet
			}
			Thread.sleep(100);
		}
		close();
		throw new IOException("Server " + this.name + " did not become healthy within " + timeout + ", see " + this.log);
	}

	String name() {
		return this.name;
	}

	long pid() {
		return this.process.pid();
	}

	URI webSocketUri() {
		return URI.create("ws://127.0.0.1:" + this.presencePort + "/realtime/v1/websocket?apikey=bench&vsn=2.0.0");
	}

	/**
	 * User plus system CPU time the node used since it started.
	 * @return seconds
	 */
	double cpuSeconds() {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"), StandardCharsets.US_ASCII);
			// fields after the command name in parentheses, which may contain spaces
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			long utime = Long.parseLong(fields[11]);
			long stime = Long.parseLong(fields[12]);
			return (utime + stime) / CLOCK_TICKS;
		}
		catch (IOException | RuntimeException ex) {
			return Double.NaN;
		}
	}

	/**
	 * Resident set size.
	 * @return KiB
	 */
	long rssKib() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
				if (line.startsWith("VmRSS:")) {
					return Long.parseLong(line.replaceAll("[^0-9]", ""));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// gone
		}
		return -1;
	}

	/**
	 * Run a full GC in the node and read the heap in use after it.
	 * @return KiB of heap in use, or -1 when {@code jcmd} failed
	 */
	long heapUsedAfterGcKib() {
		try {
			jcmd("GC.run");
			String info = jcmd("GC.heap_info");
			Matcher matcher = G1_USED.matcher(info);
			if (!matcher.find()) {
				matcher = ANY_USED.matcher(info);
				if (!matcher.find()) {
					return -1;
				}
			}
			return Long.parseLong(matcher.group(2));
		}
		catch (IOException ex) {
			return -1;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return -1;
		}
	}

	private String agent(Path library, String options) throws IOException, InterruptedException {
		// quoted: jcmd would split the agent's options at '=' otherwise
		return jcmd("JVMTI.agent_load", library.toString(), '"' + options + '"');
	}

	private String jcmd(String... command) throws IOException, InterruptedException {
		Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
		List<String> line = new ArrayList<>(List.of(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd",
				Long.toString(pid())));
		line.addAll(List.of(command));
		Process process = new ProcessBuilder(line)
			.redirectErrorStream(true)
			.start();
		byte[] output = process.getInputStream().readAllBytes();
		process.waitFor(30, TimeUnit.SECONDS);
		return new String(output, StandardCharsets.UTF_8);
	}

	/**
	 * Load async-profiler into the node and start profiling; {@link #close()} writes what it
	 * found. Profiling starts after the warm-up, so start-up and JIT compilation of the
	 * warm-up stay out of the profile.
	 * @param event {@code cpu} (perf events where the kernel allows them,
	 * {@code kernel.perf_event_paranoid} ≤ 1, else a CPU timer), {@code alloc} or
	 * {@code wall}
	 */
	void startProfiler(String event) throws IOException, InterruptedException {
		Path library = AsyncProfilerLibrary.extract(this.workDir);
		String start = switch (event) {
			case "cpu" -> "start,event=cpu,interval=1ms";
			case "alloc" -> "start,event=alloc,alloc=256k";
			default -> "start,event=wall,interval=5ms,threads";
		};
		String answer = agent(library, start);
		if (answer.contains("rror")) {
			throw new IOException("Could not start async-profiler in node " + this.name + ": " + answer);
		}
		this.profilerLibrary = library;
	}

	private void stopProfiler() {
		Path library = this.profilerLibrary;
		if (library == null) {
			return;
		}
		this.profilerLibrary = null;
		String base = "profile-" + this.name + "-" + RECORDINGS.incrementAndGet();
		try {
			agent(library, "dump,file=" + this.workDir.resolve(base + ".html").toAbsolutePath());
			agent(library, "stop,collapsed,file=" + this.workDir.resolve(base + ".collapsed").toAbsolutePath());
		}
		catch (IOException ex) {
			// the node is gone: no profile
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * A snapshot of the node's counters, to report what a scenario cost.
	 */
	Usage usage() {
		return new Usage(cpuSeconds(), rssKib());
	}

	record Usage(double cpuSeconds, long rssKib) {
	}

	@Override
	public void close() {
		stopProfiler();
		// SIGTERM: Spring shuts down gracefully and the JFR recording is dumped
		this.process.destroy();
		try {
			if (!this.process.waitFor(20, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
	}

}
