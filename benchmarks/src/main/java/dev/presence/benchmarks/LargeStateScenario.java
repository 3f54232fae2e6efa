package dev.presence.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code large-state}: tracks of a large state, a JSON object of 5,000 small fields
 * (about 60 KB). A number of clients, each alone in a topic of its own, track such a
 * state one after another, never two at once, so that each measured reply is that of a
 * lone track on a warm node and every client's tracks are far enough apart not to be
 * coalesced. Measured: the time from the track sent until its reply (first tracks and
 * updates alike), and the heap the node holds per tracked state (after a full GC, tracked
 * against joined only).
 */
final class LargeStateScenario implements Scenario {

	private static final int FIELDS = 5_000;

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		ServerProcess node = bench.freshNodes(1).get(0);
		int clients = options.largeStateClients();
		int tracks = options.largeStateTracks();
		ClientStats stats = new ClientStats();
		List<PhoenixClient> members = bench.clients().openAll(node.webSocketUri(), clients, 100, stats,
				() -> new PhoenixClient(stats, false, null));
		for (int i = 0; i < members.size(); i++) {
			members.get(i).join("realtime:large-" + i, "large-" + i, 0).get(10, TimeUnit.SECONDS);
		}
		long heapJoined = node.heapUsedAfterGcKib();
		int stateBytes = state(0).length();
		// unmeasured: every client tracks once, then a round of warm-up tracks
		int warmup = Math.min(tracks, 500);
		Latencies latencies = new Latencies();
		ServerProcess.Usage before = null;
		boolean ok = true;
		for (int i = 0; i < warmup + tracks; i++) {
			if (i == warmup) {
				before = node.usage();
			}
			PhoenixClient client = members.get(i % members.size());
			long start = System.nanoTime();
			boolean replied = client.track(state(i)).get(10, TimeUnit.SECONDS);
			long took = System.nanoTime() - start;
			ok &= replied;
			if (i >= warmup) {
				latencies.record(took);
			}
		}
		ServerProcess.Usage after = node.usage();
		Bench.awaitQuiet(stats, Duration.ofMillis(300), Duration.ofSeconds(10));
		long heapTracked = node.heapUsedAfterGcKib();
		double heapPerState = (heapTracked - heapJoined) * 1024.0 / members.size();
		ok &= stats.errors() == 0 && heapJoined > 0 && heapTracked > 0;
		String figure = String.format(Locale.ROOT,
				"%,d tracks of a %,d-byte state (%,d fields), one at a time by %d clients in topics of their own: "
						+ "reply after **p50 %.2f ms**, p99 %.2f ms, max %.2f ms (%,d measured after %,d warm-up "
						+ "tracks; %d errors); heap held per tracked state **%.1f× its size** (%.0f KiB)",
				tracks, stateBytes, FIELDS, members.size(), latencies.millis(50), latencies.millis(99),
				latencies.millis(100), latencies.count(), warmup, stats.errors(), heapPerState / stateBytes,
				heapPerState / 1024);
		WebSocketClients.closeAll(members);
		return List.of(new Row("large-state", figure, after.cpuSeconds() - before.cpuSeconds(), after.rssKib() / 1024.0,
				ok));
	}

	/**
	 * A state of {@link #FIELDS} small fields; {@code n} changes with every track.
	 */
	static String state(long n) {
		StringBuilder json = new StringBuilder(64 * 1024);
		json.append("{\"n\":").append(n);
		for (int i = 0; i < FIELDS; i++) {
			json.append(",\"k_").append(i).append("\":").append(i % 100);
		}
		return json.append('}').toString();
	}

}
