package dev.presence.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code round-trips}: the Redis commands one operation costs, from {@code INFO
 * commandstats} before and after it. The node's heartbeat (every 2 s) can land inside the
 * window; a window that caught one is measured again.
 */
final class RoundTripsScenario implements Scenario {

	@Override
	public List<Row> run(Bench bench) throws Exception {
		ServerProcess node = bench.freshNodes(1).get(0);
		ClientStats stats = new ClientStats();
		PhoenixClient client = bench.clients().openAll(node.webSocketUri(), 1, 1, stats,
				() -> new PhoenixClient(stats, true, null)).get(0);
		try {
			ServerProcess.Usage before = node.usage();
			RedisMonitor monitor = new RedisMonitor(bench.redis().port());
			Result join = measure(bench, monitor, () -> {
				client.join("realtime:round-trips", "me", 0).get(10, TimeUnit.SECONDS);
				return Bench.await(Duration.ofSeconds(10), () -> client.view().synced());
			});
			Result track = measure(bench, monitor, () -> {
				boolean ok = client.track(Payloads.meta("me", 1)).get(10, TimeUnit.SECONDS);
				return ok && Bench.await(Duration.ofSeconds(10), () -> client.view().latest("me") == 1);
			});
			Result update = measure(bench, monitor, () -> {
				boolean ok = client.track(Payloads.meta("me", 2)).get(10, TimeUnit.SECONDS);
				return ok && Bench.await(Duration.ofSeconds(10), () -> client.view().latest("me") == 2);
			});
			Result leave = measure(bench, monitor, () -> {
				boolean ok = client.leave().get(10, TimeUnit.SECONDS);
				Bench.awaitQuiet(stats, Duration.ofMillis(200), Duration.ofSeconds(5));
				return ok;
			});
			monitor.close();
			ServerProcess.Usage after = node.usage();
			// the figure says whether a track is one EVALSHA; the row fails only when an operation did
			boolean ok = !join.failed() && !track.failed() && !update.failed() && !leave.failed()
					&& stats.errors() == 0;
			String figure = "track: **" + track.describe() + "**; update: " + update.describe() + "; join: "
					+ join.describe() + "; leave: " + leave.describe();
			return List.of(new Row("round-trips", figure, after.cpuSeconds() - before.cpuSeconds(),
					after.rssKib() / 1024.0, ok));
		}
		finally {
			client.close();
		}
	}

	/**
	 * Run an operation right after a heartbeat of the node ({@code ZADD presence:nodes}),
	 * so that the next one (2 s later) does not fall into the window, and list the
	 * commands it caused: those the node sent, then those its scripts ran.
	 */
	private static Result measure(Bench bench, RedisMonitor monitor, Callable<Boolean> operation) throws Exception {
		long heartbeats = bench.redis().commandCalls().getOrDefault("zadd", 0L);
		Bench.await(Duration.ofSeconds(5), () -> {
			try {
				return bench.redis().commandCalls().getOrDefault("zadd", 0L) > heartbeats;
			}
			catch (java.io.IOException ex) {
				return true;
			}
		});
		Thread.sleep(50);
		monitor.clear();
		Map<String, Long> before = bench.redis().commandCalls();
		if (!operation.call()) {
			return new Result(List.of("FAILED"), List.of(), Map.of());
		}
		// the change reaches the node's replica through pub/sub after the reply
		Thread.sleep(300);
		Map<String, Long> stats = Bench.delta(before, bench.redis().commandCalls());
		return new Result(monitor.sent(), monitor.inScripts(), stats);
	}

	/**
	 * @param sent commands the node sent: its round trips
	 * @param inScripts commands run inside those scripts
	 * @param commandStats the {@code INFO commandstats} delta, which counts both
	 */
	record Result(List<String> sent, List<String> inScripts, Map<String, Long> commandStats) {

		boolean failed() {
			return this.sent.contains("FAILED");
		}

		String describe() {
			Map<String, Long> counts = new java.util.TreeMap<>();
			this.sent.forEach((command) -> counts.merge(command, 1L, Long::sum));
			StringBuilder text = new StringBuilder();
			counts.forEach((command, calls) -> text.append((text.length() > 0) ? " + " : "").append(calls).append(' ')
				.append(command));
			return this.sent.size() + " round trip" + ((this.sent.size() == 1) ? "" : "s") + " (" + text + "; "
					+ this.inScripts.size() + " commands inside the script; commandstats +"
					+ this.commandStats.values().stream().mapToLong(Long::longValue).sum() + ")";
		}

	}

}
