package dev.presence.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code many-topics} and {@code idle}: clients spread round-robin over topics connect a
 * batch at a time, each joining and tracking once its socket is open; measured until
 * every client holds every key of its topic. Then the same clients are held idle and the
 * node's resident memory and heap after a full GC are compared with what the idle node
 * used before they came.
 */
final class ManyTopicsScenario implements Scenario {

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		int n = options.topicClients();
		int topics = options.topics();
		ServerProcess node = bench.freshNodes(1).get(0);
		long baselineHeap = node.heapUsedAfterGcKib();
		Thread.sleep(500);
		long baselineRss = node.rssKib();
		ClientStats stats = new ClientStats();
		List<PhoenixClient> clients = new ArrayList<>(n);
		try {
			ServerProcess.Usage before = node.usage();
			long start = System.nanoTime();
			for (int first = 0; first < n; first += options.batch()) {
				int size = Math.min(options.batch(), n - first);
				List<PhoenixClient> batch = bench.clients().openAll(node.webSocketUri(), size, size, stats,
						() -> new PhoenixClient(stats, true, null));
				List<CompletableFuture<Boolean>> replies = new ArrayList<>(2 * size);
				for (int j = 0; j < batch.size(); j++) {
					int i = first + j;
					int topic = i % topics;
					int members = n / topics + ((topic < n % topics) ? 1 : 0);
					PhoenixClient client = batch.get(j);
					replies.add(client.join("realtime:topic-" + topic, "user-" + i, members));
					replies.add(client.track(Payloads.meta("user-" + i, 1)));
				}
				clients.addAll(batch);
				Bench.allOk(replies, Duration.ofSeconds(30), stats);
			}
			boolean converged = clients.size() == n && Bench.await(options.timeout(),
					() -> clients.stream().allMatch((client) -> client.view().reachedAt() != 0));
			long end = clients.stream().mapToLong((client) -> client.view().reachedAt()).max().orElse(start);
			double seconds = (end - start) / 1e9;
			Bench.awaitQuiet(stats, Duration.ofMillis(500), Duration.ofSeconds(30));
			ServerProcess.Usage after = node.usage();
			long errors = stats.errors();
			boolean ok = converged && errors == 0;
			String figure = String.format(Locale.ROOT,
					"%,d clients over %d topics, %d connecting at a time: converged **%s**, **%d errors**, **%.2f s**; %,d frames",
					n, topics, options.batch(), converged ? "yes" : "no", errors, seconds, stats.frames.sum());
			List<Row> rows = new ArrayList<>();
			rows.add(new Row("many-topics", figure, after.cpuSeconds() - before.cpuSeconds(), after.rssKib() / 1024.0,
					ok));

			// idle: the same clients, nothing happening but heartbeats
			ServerProcess.Usage idleStart = node.usage();
			Thread.sleep(options.smoke() ? 500 : 5000);
			ServerProcess.Usage idleEnd = node.usage();
			long heap = node.heapUsedAfterGcKib();
			Thread.sleep(500);
			long rss = node.rssKib();
			long open = clients.stream().filter(PhoenixClient::isOpen).count();
			boolean held = open == n && stats.errors() == errors;
			double rssPer = (rss - baselineRss) / (double) n;
			double heapPer = (heap - baselineHeap) / (double) n;
			String idle = String.format(Locale.ROOT,
					"%,d tracked connections held idle: RSS **%.1f KiB** and heap after GC **%.1f KiB** per connection "
							+ "(idle node: RSS %,d MiB, heap %,d MiB; loaded: RSS %,d MiB, heap %,d MiB)%s",
					n, rssPer, heapPer, baselineRss / 1024, baselineHeap / 1024, rss / 1024, heap / 1024,
					held ? "" : "; only " + open + " still open");
			rows.add(new Row("idle", idle, idleEnd.cpuSeconds() - idleStart.cpuSeconds(), rss / 1024.0, held && ok));
			return rows;
		}
		finally {
			WebSocketClients.closeAll(clients);
		}
	}

}
