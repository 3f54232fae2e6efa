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
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code track-rate}: clients spread over topics each update their presence every
 * {@code --track-interval} (an open loop, ticks spread evenly), for a fixed time. Each
 * channel stays under the server's per-channel limits (re-tracks within the coalescing
 * window are merged, more than the presence message ceiling closes the channel), so the
 * node's throughput is reached with many channels, not fast ones. Measured: the
 * acknowledged tracks per second and the diff frames delivered; at the end every client
 * must show every member of its topic with that member's last update.
 */
final class TrackRateScenario implements Scenario {

	private static final long TICK_MILLIS = 5;

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		int n = options.rateClients();
		int topics = options.rateTopics();
		ServerProcess node = bench.freshNodes(1).get(0);
		ClientStats stats = new ClientStats();
		List<PhoenixClient> clients = bench.clients().openAll(node.webSocketUri(), n, 100, stats,
				() -> new PhoenixClient(stats, true, null));
		AtomicLongArray last = new AtomicLongArray(n);
		ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "driver-track-rate");
			thread.setDaemon(true);
			return thread;
		});
		try {
			List<CompletableFuture<Boolean>> replies = new ArrayList<>();
			for (int i = 0; i < clients.size(); i++) {
				int topic = i % topics;
				int members = n / topics + ((topic < n % topics) ? 1 : 0);
				replies.add(clients.get(i).join("realtime:rate-" + topic, "user-" + i, members));
				replies.add(clients.get(i).track(Payloads.meta("user-" + i, 0)));
			}
			boolean ready = Bench.allOk(replies, Duration.ofSeconds(60), stats) && Bench.await(options.timeout(),
					() -> clients.stream().allMatch((client) -> client.view().reachedAt() != 0));
			Bench.awaitQuiet(stats, Duration.ofMillis(300), Duration.ofSeconds(10));
			LongAdder acknowledged = new LongAdder();
			LongAdder sent = new LongAdder();
			long diffsBefore = stats.diffs.sum();
			long framesBefore = stats.frames.sum();
			ServerProcess.Usage before = node.usage();
			int slots = (int) Math.max(1, options.trackInterval().toMillis() / TICK_MILLIS);
			AtomicLong tick = new AtomicLong();
			long start = System.nanoTime();
			ticker.scheduleAtFixedRate(() -> {
				int slot = (int) (tick.getAndIncrement() % slots);
				for (int i = slot; i < clients.size(); i += slots) {
					long value = last.incrementAndGet(i);
					sent.increment();
					clients.get(i).track(Payloads.meta("user-" + i, value)).whenComplete((ok, ex) -> {
						if (ex == null && Boolean.TRUE.equals(ok)) {
							acknowledged.increment();
						}
					});
				}
			}, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
			Thread.sleep(options.duration().toMillis());
			ticker.shutdownNow();
			ticker.awaitTermination(5, TimeUnit.SECONDS);
			double seconds = (System.nanoTime() - start) / 1e9;
			long offered = sent.sum();
			ServerProcess.Usage after = node.usage();
			Bench.awaitQuiet(stats, Duration.ofMillis(500), Duration.ofSeconds(30));
			long tracks = acknowledged.sum();
			long diffs = stats.diffs.sum() - diffsBefore;
			long frames = stats.frames.sum() - framesBefore;
			boolean delivered = Bench.await(Duration.ofSeconds(10), () -> allSeeLatest(clients, topics, last));
			boolean ok = ready && delivered && stats.errors() == 0 && tracks == offered;
			double cpu = after.cpuSeconds() - before.cpuSeconds();
			String figure = String.format(Locale.ROOT,
					"%,d clients on %d topics, each tracking every %d ms for %.0f s: **%,.0f tracks/s** acknowledged "
							+ "(%,d of %,d), %,.0f diff frames/s delivered (%,.0f frames/s in all), every client ends with "
							+ "every member's last update: **%s**; %.0f µs server CPU per track%s",
					n, topics, options.trackInterval().toMillis(), seconds, tracks / seconds, tracks, offered,
					diffs / seconds, frames / seconds, delivered ? "yes" : "no", cpu * 1e6 / Math.max(1, tracks),
					(stats.errors() == 0) ? "" : "; " + stats.describeErrors());
			return List.of(new Row("track-rate", figure, cpu, after.rssKib() / 1024.0, ok));
		}
		finally {
			ticker.shutdownNow();
			WebSocketClients.closeAll(clients);
		}
	}

	private static boolean allSeeLatest(List<PhoenixClient> clients, int topics, AtomicLongArray last) {
		try {
			return seeLatest(clients, topics, last);
		}
		catch (RuntimeException ex) {
			// a view changed under the read: not quiet yet
			return false;
		}
	}

	private static boolean seeLatest(List<PhoenixClient> clients, int topics, AtomicLongArray last) {
		for (int i = 0; i < clients.size(); i++) {
			PresenceView view = clients.get(i).view();
			for (int member = i % topics; member < clients.size(); member += topics) {
				if (view.latest("user-" + member) != last.get(member)) {
					return false;
				}
			}
		}
		return true;
	}

}
