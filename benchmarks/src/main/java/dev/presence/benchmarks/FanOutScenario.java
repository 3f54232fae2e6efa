package dev.presence.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code fan-out}: how many frames one node delivers to the members of one topic. N
 * members join one topic; some of them re-track every 110 ms (just past the server's
 * 100 ms coalescing of re-tracks), and the node sends each change at once (batch window
 * 0) as one {@code presence_diff} to every member: N frames per track. Measured: the
 * frames the members received per second, against what was asked of the node.
 */
final class FanOutScenario implements Scenario {

	private static final long INTERVAL_MILLIS = 110;

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		int n = options.clients();
		int senders = Math.min(options.fanOutSenders(), n);
		ServerProcess node = bench.freshNodes(1, List.of("--presence.batch-window=0")).get(0);
		ClientStats stats = new ClientStats();
		List<PhoenixClient> clients = bench.clients().openAll(node.webSocketUri(), n, 200, stats,
				() -> new PhoenixClient(stats, false, null));
		ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "fan-out-senders");
			thread.setDaemon(true);
			return thread;
		});
		try {
			List<CompletableFuture<Boolean>> joins = new ArrayList<>(n);
			for (int i = 0; i < n; i++) {
				joins.add(clients.get(i).join("realtime:fanout", "member-" + i, 0));
			}
			boolean joined = Bench.allOk(joins, Duration.ofSeconds(60), stats);
			AtomicLong tracks = new AtomicLong();
			for (int i = 0; i < senders; i++) {
				PhoenixClient sender = clients.get(i);
				String key = "member-" + i;
				ticker.scheduleAtFixedRate(() -> sender.track(Payloads.meta(key, (int) tracks.incrementAndGet())),
						i * INTERVAL_MILLIS / senders, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
			}
			// let the rate settle before measuring
			Thread.sleep(options.smoke() ? 500 : 3000);
			Duration window = options.smoke() ? Duration.ofSeconds(1) : options.duration();
			ServerProcess.Usage before = node.usage();
			long framesBefore = stats.frames.sum();
			long tracksBefore = tracks.get();
			long start = System.nanoTime();
			Thread.sleep(window.toMillis());
			long frames = stats.frames.sum() - framesBefore;
			long sent = tracks.get() - tracksBefore;
			double seconds = (System.nanoTime() - start) / 1e9;
			ServerProcess.Usage after = node.usage();
			ticker.shutdownNow();
			double cpu = after.cpuSeconds() - before.cpuSeconds();
			double perSecond = frames / seconds;
			boolean ok = joined && stats.errors() == 0 && clients.size() == n;
			String figure = String.format(Locale.ROOT,
					"%,d members, %d re-tracking every %d ms, diffs sent at once: **%,.0f frames/s** delivered "
							+ "(%,.0f asked: %,.0f tracks/s × %,d members), %.1f µs of node CPU per frame%s",
					n, senders, INTERVAL_MILLIS, perSecond, sent / seconds * n, sent / seconds, n,
					cpu * 1e6 / Math.max(1, frames), (stats.errors() == 0) ? "" : "; " + stats.describeErrors());
			return List.of(new Row("fan-out", figure, cpu, after.rssKib() / 1024.0, ok));
		}
		finally {
			ticker.shutdownNow();
			WebSocketClients.closeAll(clients);
		}
	}

}
