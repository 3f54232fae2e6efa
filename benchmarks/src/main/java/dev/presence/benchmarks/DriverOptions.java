package dev.presence.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The driver's command line: {@code --name=value} options, every one with a default.
 *
 * @param scenarios the scenarios to run, in order
 * @param smoke whether every scenario is tiny (CI)
 * @param clients clients of {@code mass-join}
 * @param topicClients clients of {@code many-topics} and {@code idle}
 * @param topics topics of {@code many-topics} and {@code idle}
 * @param batch how many clients of {@code many-topics} connect at a time
 * @param duration how long {@code cross-node} and {@code track-rate} run
 * @param churnRate joins per second of {@code cross-node}
 * @param hold how long a {@code cross-node} churn presence stays before it leaves
 * @param rateClients clients of {@code track-rate}
 * @param rateTopics topics of {@code track-rate}
 * @param trackInterval how often each {@code track-rate} client updates its presence
 * @param updateRate tracks per second of {@code cross-node-updates}
 * @param largeStateClients clients of {@code large-state}
 * @param largeStateTracks measured tracks of {@code large-state}
 * @param timeout how long a scenario may take to converge before it is reported as not
 * converged
 * @param freshNodes whether every scenario gets nodes of its own on an emptied Redis
 * @param warmupRounds rounds of unmeasured load each node first serves (0 for none), so the JIT has
 * compiled the hot paths before anything is measured
 * @param ioThreads event loop threads of the driver's clients
 * @param deflate whether the clients offer {@code permessage-deflate}, as browsers do
 * @param serverJar the sample app's executable jar
 * @param serverClasspath a class path to run {@code dev.presence.sample.SampleApplication}
 * from instead of the jar
 * @param serverJvmArgs JVM options of each node
 * @param serverArgs extra application arguments of each node
 * @param jfr whether each node records a JFR profile into the work directory
 * @param profile the async-profiler event each node is profiled with after its warm-up
 * ({@code cpu}, {@code alloc}, {@code wall}), or {@code none}
 * @param transports the transports the scenarios run on, one after the other:
 * {@code servlet} (presence on the application's Tomcat) and {@code netty} (presence's own
 * Reactor Netty server, {@code presence.server.port})
 * @param fanOutSenders members of {@code fan-out} that re-track
 * @param broadcastRate broadcasts per second the sender of {@code broadcast} sends
 * @param redisServer the {@code redis-server} binary
 * @param workDir where logs and recordings go
 */
record DriverOptions(List<String> scenarios, boolean smoke, int clients, int topicClients, int topics, int batch, Duration duration,
		int churnRate, Duration hold, int rateClients, int rateTopics, Duration trackInterval,
		int updateRate, int largeStateClients, int largeStateTracks, Duration timeout, boolean freshNodes, int warmupRounds, int ioThreads,
		boolean deflate, Path serverJar, @Nullable String serverClasspath, List<String> serverJvmArgs, List<String> serverArgs,
		boolean jfr, String profile, List<String> transports, int fanOutSenders, int broadcastRate, String redisServer,
		Path workDir) {

	static final List<String> ALL_SCENARIOS = List.of("mass-join", "many-topics", "idle", "fan-out", "cross-node",
			"cross-node-updates", "round-trips", "track-rate", "large-state", "broadcast");

	static final String USAGE = """
			Usage: java -cp benchmarks/target/benchmarks.jar dev.presence.benchmarks.LoadDriver [options]
			  --scenario=a,b        scenarios to run (default: all): %s
			  --smoke               every scenario tiny (20 clients), for CI; overrides sizes
			  --clients=N           mass-join clients (default 1000)
			  --topic-clients=N     many-topics/idle clients (default 10000)
			  --topics=N            many-topics/idle topics (default 100)
			  --batch=N             many-topics clients connecting at a time (default 100)
			  --duration=D          cross-node and track-rate length, e.g. 20s (default 20s)
			  --churn-rate=N        cross-node joins per second on node A (default 200)
			  --hold=D              cross-node time a churn presence stays (default 1s)
			  --rate-clients=N      track-rate clients (default 1000)
			  --rate-topics=N       track-rate topics (default 100)
			  --track-interval=D    how often each track-rate client tracks (default 200ms: the server
			                        coalesces re-tracks within 100 ms and closes a channel past 100 in 10 s)
			  --update-rate=N       cross-node-updates tracks per second on node A (default 200)
			  --large-clients=N     large-state clients, each in a topic of its own (default 200)
			  --large-tracks=N      large-state measured tracks (default 2000)
			  --timeout=D           convergence timeout per scenario (default 60s)
			  --fresh-nodes=true|false  new nodes and an emptied Redis for every scenario (default true; false with --smoke)
			  --warmup=N|true|false rounds of unmeasured warm-up load on each node first, 250 clients each
			                        (default 10 = true; false = 0)
			  --io-threads=N        driver event loop threads (default 2)
			  --deflate=true|false  clients offer permessage-deflate, as browsers do (default true)
			  --server-jar=PATH     sample app jar (default sample-app/target/presence-sample-app.jar)
			  --server-cp=CLASSPATH run dev.presence.sample.SampleApplication from this class path instead
			  --server-jvm=ARGS     JVM options of each node, space separated (default "-Xmx1g -XX:+UseG1GC")
			  --server-arg=ARG      extra application argument of each node, repeatable
			  --jfr                 record a JFR profile of each node into the work directory
			  --profile=EVENT       profile each node with async-profiler from the end of its warm-up until
			                        it stops: cpu, alloc or wall; writes a flame graph (.html) and collapsed
			                        stacks (.collapsed) per node into the work directory (default none)
			  --transport=T         servlet, netty or both (each scenario on each, side by side; default servlet)
			  --fan-out-senders=N   fan-out members that re-track, each every 110 ms (default 50)
			  --broadcast-rate=N    broadcasts per second of the broadcast scenario's one sender (default 250)
			  --redis-server=PATH   redis-server binary (default /usr/bin/redis-server)
			  --work-dir=PATH       logs and recordings (default target/load-driver)
			""".formatted(String.join(", ", ALL_SCENARIOS));

	static DriverOptions parse(String... args) {
		Map<String, String> values = new LinkedHashMap<>();
		List<String> serverArgs = new ArrayList<>();
		for (String arg : args) {
			if (!arg.startsWith("--")) {
				throw new IllegalArgumentException("Unexpected argument '" + arg + "'\n" + USAGE);
			}
			int equals = arg.indexOf('=');
			String name = (equals < 0) ? arg.substring(2) : arg.substring(2, equals);
			String value = (equals < 0) ? "true" : arg.substring(equals + 1);
			if (name.equals("server-arg")) {
				serverArgs.add(value);
			}
			else {
				values.put(name, value);
			}
		}
		boolean smoke = Boolean.parseBoolean(values.remove("smoke"));
		List<String> scenarios = List.of(values.getOrDefault("scenario", "all").split(","));
		if (scenarios.equals(List.of("all"))) {
			scenarios = ALL_SCENARIOS;
		}
		for (String scenario : scenarios) {
			if (!ALL_SCENARIOS.contains(scenario)) {
				throw new IllegalArgumentException("Unknown scenario '" + scenario + "'\n" + USAGE);
			}
		}
		values.remove("scenario");
		int clients = pick(smoke, 20, intValue(values.remove("clients"), 1000));
		int topicClients = pick(smoke, 20, intValue(values.remove("topic-clients"), 10_000));
		int topics = pick(smoke, 4, intValue(values.remove("topics"), 100));
		int batch = pick(smoke, 10, intValue(values.remove("batch"), 100));
		Duration duration = pick(smoke, Duration.ofSeconds(2), duration(values.remove("duration"), "20s"));
		int churnRate = pick(smoke, 20, intValue(values.remove("churn-rate"), 200));
		Duration hold = pick(smoke, Duration.ofMillis(200), duration(values.remove("hold"), "1s"));
		int rateClients = pick(smoke, 20, intValue(values.remove("rate-clients"), 1000));
		int rateTopics = pick(smoke, 2, intValue(values.remove("rate-topics"), 100));
		Duration trackInterval = duration(values.remove("track-interval"), "200ms");
		int updateRate = pick(smoke, 20, intValue(values.remove("update-rate"), 200));
		int largeStateClients = pick(smoke, 4, intValue(values.remove("large-clients"), 200));
		int largeStateTracks = pick(smoke, 20, intValue(values.remove("large-tracks"), 2000));
		Duration timeout = pick(smoke, Duration.ofSeconds(20), duration(values.remove("timeout"), "60s"));
		boolean freshNodes = Boolean.parseBoolean(valueOr(values.remove("fresh-nodes"), smoke ? "false" : "true"));
		String warmupValue = valueOr(values.remove("warmup"), "true");
		int warmupRounds = smoke ? 0 : switch (warmupValue) {
			case "true" -> 10;
			case "false" -> 0;
			default -> intValue(warmupValue, 10);
		};
		int ioThreads = intValue(values.remove("io-threads"), 2);
		boolean deflate = Boolean.parseBoolean(valueOr(values.remove("deflate"), "true"));
		String defaultJar = System.getProperty("presence.sampleJar", locateSampleJar());
		Path serverJar = Path.of(valueOr(values.remove("server-jar"), defaultJar));
		String serverClasspath = values.remove("server-cp");
		List<String> serverJvmArgs = List.of(valueOr(values.remove("server-jvm"), "-Xmx1g -XX:+UseG1GC").trim().split("\\s+"));
		boolean jfr = Boolean.parseBoolean(values.remove("jfr"));
		String profile = valueOr(values.remove("profile"), "none");
		if (!List.of("none", "cpu", "alloc", "wall").contains(profile)) {
			throw new IllegalArgumentException("Unknown profile event '" + profile + "'\n" + USAGE);
		}
		String transport = valueOr(values.remove("transport"), "servlet");
		List<String> transports = transport.equals("both") ? List.of("servlet", "netty") : List.of(transport);
		if (!List.of("servlet", "netty").containsAll(transports)) {
			throw new IllegalArgumentException("Unknown transport '" + transport + "'\n" + USAGE);
		}
		int fanOutSenders = pick(smoke, 2, intValue(values.remove("fan-out-senders"), 50));
		int broadcastRate = pick(smoke, 20, intValue(values.remove("broadcast-rate"), 250));
		String redisServer = valueOr(values.remove("redis-server"), "/usr/bin/redis-server");
		Path workDir = Path.of(valueOr(values.remove("work-dir"), defaultWorkDir()));
		if (!values.isEmpty()) {
			throw new IllegalArgumentException("Unknown option(s) " + values.keySet() + "\n" + USAGE);
		}
		if (serverClasspath == null && !Files.isRegularFile(serverJar)) {
			throw new IllegalArgumentException("Sample app jar " + serverJar + " not found: build it with "
					+ "'./mvnw -q install -DskipTests' or pass --server-jar= / --server-cp=");
		}
		return new DriverOptions(scenarios, smoke, clients, topicClients, topics, batch, duration, churnRate, hold,
				rateClients, rateTopics, trackInterval, updateRate, largeStateClients, largeStateTracks, timeout, freshNodes, warmupRounds, ioThreads, deflate, serverJar, serverClasspath, serverJvmArgs,
				List.copyOf(serverArgs), jfr, profile, transports, fanOutSenders, broadcastRate, redisServer, workDir);
	}

	DriverOptions withServerJar(Path jar) {
		return with(jar, this.transports);
	}

	/**
	 * The same options on one transport.
	 */
	DriverOptions withTransport(String transport) {
		return with(this.serverJar, List.of(transport));
	}

	private DriverOptions with(Path jar, List<String> transports) {
		return new DriverOptions(this.scenarios, this.smoke, this.clients, this.topicClients, this.topics, this.batch,
				this.duration, this.churnRate, this.hold, this.rateClients, this.rateTopics, this.trackInterval, this.updateRate,
				this.largeStateClients, this.largeStateTracks, this.timeout,
				this.freshNodes, this.warmupRounds, this.ioThreads, this.deflate, jar, this.serverClasspath, this.serverJvmArgs,
				this.serverArgs, this.jfr, this.profile, transports, this.fanOutSenders, this.broadcastRate, this.redisServer,
				this.workDir);
	}

	/**
	 * Whether the nodes serve presence on their own Reactor Netty server.
	 */
	boolean netty() {
		return this.transports.get(0).equals("netty");
	}

	boolean runs(String scenario) {
		return this.scenarios.contains(scenario);
	}

	private static <T> T pick(boolean smoke, T smokeValue, T value) {
		return smoke ? smokeValue : value;
	}

	private static String locateSampleJar() {
		for (String candidate : List.of("sample-app/target/presence-sample-app.jar",
				"../sample-app/target/presence-sample-app.jar")) {
			if (Files.isRegularFile(Path.of(candidate))) {
				return candidate;
			}
		}
		return "sample-app/target/presence-sample-app.jar";
	}

	private static String defaultWorkDir() {
		return Files.isDirectory(Path.of("benchmarks")) ? "benchmarks/target/load-driver" : "target/load-driver";
	}

	private static String valueOr(@Nullable String value, String fallback) {
		return (value != null && !value.isBlank()) ? value : fallback;
	}

	private static int intValue(@Nullable String value, int fallback) {
		return (value != null) ? Integer.parseInt(value.replace("_", "").replace(",", "")) : fallback;
	}

	private static Duration duration(@Nullable String value, String fallback) {
		String text = valueOr(value, fallback).trim().toLowerCase();
		if (text.endsWith("ms")) {
			return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
		}
		if (text.endsWith("s")) {
			return Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
		}
		if (text.endsWith("m")) {
			return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)) * 60);
		}
		return Duration.ofSeconds(Long.parseLong(text));
	}

}
