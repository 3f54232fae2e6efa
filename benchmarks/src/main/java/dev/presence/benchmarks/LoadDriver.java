package dev.presence.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The load driver: starts its own {@code redis-server} and presence nodes (the sample
 * app, each in its own JVM), drives them with real WebSocket clients speaking the Phoenix
 * protocol, and prints one table row per scenario with the nodes' CPU time and resident
 * memory. Run it with {@code --help} for the options.
 */
public final class LoadDriver {

	private LoadDriver() {
	}

	public static void main(String[] args) throws Exception {
		if (List.of(args).contains("--help")) {
			System.out.println(DriverOptions.USAGE);
			return;
		}
		DriverOptions options;
		try {
			options = DriverOptions.parse(args);
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			System.exit(2);
			return;
		}
		List<Row> rows = run(options, System.out);
		System.exit(rows.stream().allMatch(Row::ok) ? 0 : 1);
	}

	/**
	 * Run the scenarios the options name, printing progress and the table.
	 * @return the rows, one or more per scenario
	 */
	public static List<Row> run(DriverOptions options, PrintStream out) throws Exception {
		Files.createDirectories(options.workDir());
		if (options.serverClasspath() == null) {
			// run a copy, so that a rebuild of the sample app during the run cannot pull the jar away
			Path copy = options.workDir().resolve("presence-sample-app.jar");
			Files.copy(options.serverJar(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			options = options.withServerJar(copy);
		}
		out.println(machine());
		out.println("Server: " + (options.serverClasspath() != null ? "-cp " + options.serverClasspath()
				: options.serverJar()) + " with JVM options " + String.join(" ", options.serverJvmArgs())
				+ "; logs in " + options.workDir().toAbsolutePath());
		List<Row> rows = new ArrayList<>();
		for (String transport : options.transports()) {
			DriverOptions onTransport = options.withTransport(transport);
			out.println("Transport: " + transport);
			for (Row row : runScenarios(onTransport, out)) {
				rows.add((options.transports().size() > 1) ? row.on(transport) : row);
			}
		}
		out.println();
		out.println(Row.HEADER);
		rows.forEach((row) -> out.println(row.markdown()));
		return rows;
	}

	private static List<Row> runScenarios(DriverOptions options, PrintStream out) throws Exception {
		Map<String, Scenario> scenarios = new LinkedHashMap<>();
		if (options.runs("mass-join")) {
			scenarios.put("mass-join", new MassJoinScenario());
		}
		if (options.runs("many-topics") || options.runs("idle")) {
			scenarios.put("many-topics + idle", new ManyTopicsScenario());
		}
		if (options.runs("fan-out")) {
			scenarios.put("fan-out", new FanOutScenario());
		}
		if (options.runs("cross-node")) {
			scenarios.put("cross-node", new CrossNodeScenario());
		}
		if (options.runs("cross-node-updates")) {
			scenarios.put("cross-node-updates", new CrossNodeUpdatesScenario());
		}
		if (options.runs("round-trips")) {
			scenarios.put("round-trips", new RoundTripsScenario());
		}
		if (options.runs("track-rate")) {
			scenarios.put("track-rate", new TrackRateScenario());
		}
		if (options.runs("large-state")) {
			scenarios.put("large-state", new LargeStateScenario());
		}
		if (options.runs("broadcast")) {
			scenarios.put("broadcast", new BroadcastScenario());
		}
		List<Row> rows = new ArrayList<>();
		try (RedisProcess redis = RedisProcess.start(options.redisServer(), options.workDir().resolve("redis.log"));
				WebSocketClients clients = new WebSocketClients(options.ioThreads(), options.deflate());
				Bench bench = new Bench(options, redis, clients)) {
			if (!options.freshNodes()) {
				// reused nodes: start them all at once
				bench.freshNodes((options.runs("cross-node") || options.runs("cross-node-updates")) ? 2 : 1);
			}
			for (Map.Entry<String, Scenario> scenario : scenarios.entrySet()) {
				long start = System.nanoTime();
				out.println("Running " + scenario.getKey() + " ...");
				List<Row> produced;
				try {
					produced = scenario.getValue().run(bench);
				}
				catch (Exception ex) {
					ex.printStackTrace(out);
					produced = List.of(new Row(scenario.getKey(), "failed: " + ex, Double.NaN, Double.NaN, false));
				}
				for (Row row : produced) {
					out.println(row.markdown());
				}
				out.printf("  (%s took %.1f s)%n", scenario.getKey(), (System.nanoTime() - start) / 1e9);
				rows.addAll(produced);
			}
		}
		return rows;
	}

	/**
	 * The machine the figures were measured on.
	 */
	static String machine() {
		String cpu = "unknown CPU";
		String memory = "unknown memory";
		try {
			cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
				.filter((line) -> line.startsWith("model name"))
				.findFirst()
				.map((line) -> line.substring(line.indexOf(':') + 1).trim())
				.orElse(cpu);
			memory = Files.readAllLines(Path.of("/proc/meminfo")).stream()
				.filter((line) -> line.startsWith("MemTotal"))
				.findFirst()
				.map((line) -> String.format("%.1f GiB RAM",
						Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0))
				.orElse(memory);
		}
		catch (IOException | RuntimeException ex) {
			// not Linux
		}
		return "Machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (" + cpu + "), " + memory + ", Java "
				+ System.getProperty("java.version") + "; driver and nodes share it";
	}

	static Duration elapsed(long start) {
		return Duration.ofNanos(System.nanoTime() - start);
	}

}
