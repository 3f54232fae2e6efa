package dev.presence.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code cross-node-updates}: two nodes on one Redis. On node A, as many clients as the
 * update rate join one topic and track; then one of them, in turn, tracks a new state at
 * the update rate (each client about once a second, well apart from the server's
 * coalescing window). One client on node B watches the topic. Measured: the time from the
 * track sent to A until B's client sees that update in a {@code presence_diff} (one
 * clock: driver and both clients share the JVM), after a warm-up.
 */
final class CrossNodeUpdatesScenario implements Scenario {

	private static final String TOPIC = "realtime:cross-updates";

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		List<ServerProcess> nodes = bench.freshNodes(2);
		ServerProcess a = nodes.get(0);
		ServerProcess b = nodes.get(1);
		int rate = options.updateRate();
		Map<String, Long> sent = new ConcurrentHashMap<>();
		Latencies latencies = new Latencies();
		AtomicLong recordFrom = new AtomicLong(Long.MAX_VALUE);
		ClientStats observerStats = new ClientStats();
		PhoenixClient observer = bench.clients().openAll(b.webSocketUri(), 1, 1, observerStats,
				() -> new PhoenixClient(observerStats, false, (key, n, now) -> {
					Long start = sent.remove(key + "/" + n);
					if (start != null && start >= recordFrom.get()) {
						latencies.record(now - start);
					}
				})).get(0);
		observer.join(TOPIC, "observer", 0).get(10, TimeUnit.SECONDS);
		ClientStats stats = new ClientStats();
		List<PhoenixClient> members = bench.clients().openAll(a.webSocketUri(), rate, 100, stats,
				() -> new PhoenixClient(stats, false, null));
		for (int i = 0; i < members.size(); i++) {
			members.get(i).join(TOPIC, "member-" + i, 0);
		}
		List<CompletableFuture<Boolean>> tracked = new java.util.ArrayList<>();
		for (int i = 0; i < members.size(); i++) {
			tracked.add(members.get(i).track(Payloads.meta("member-" + i, 0)));
		}
		boolean allTracked = Bench.allOk(tracked, Duration.ofSeconds(30), stats);
		AtomicLong updates = new AtomicLong();
		try (SteadyRate load = new SteadyRate("driver-updates", nodes, options.duration())) {
			recordFrom.set(load.measuredFromNanos());
			load.run(rate, () -> {
				long n = updates.incrementAndGet();
				int member = (int) (n % members.size());
				String key = "member-" + member;
				sent.put(key + "/" + n, System.nanoTime());
				members.get(member).track(Payloads.meta(key, n));
			});
			Bench.await(Duration.ofSeconds(5), sent::isEmpty);
			int lost = sent.size();
			long errors = stats.errors() + observerStats.errors();
			boolean ok = allTracked && lost == 0 && errors == 0 && latencies.count() > 0 && load.measured();
			double measuredSeconds = options.duration().toMillis() / 1000.0 - load.warmupSeconds();
			String figure = String.format(Locale.ROOT,
					"%d tracks/s on A (%d members each updating about once a second) for %.0f s, seen on B: "
							+ "**p50 %.1f ms, p99 %.1f ms**, max %.1f ms (%,d measured after %.0f s warm-up; "
							+ "%d not seen, %d errors%s); CPU and RSS of A+B over %.0f s",
					rate, members.size(), options.duration().toMillis() / 1000.0, latencies.millis(50),
					latencies.millis(99), latencies.millis(100), latencies.count(), load.warmupSeconds(), lost, errors,
					(errors > 0) ? "; members: " + stats.describeErrors() + ", observer: "
							+ observerStats.describeErrors() : "",
					measuredSeconds);
			return List.of(new Row("cross-node-updates", figure, load.cpuSeconds(), load.rssMib(), ok));
		}
		finally {
			WebSocketClients.closeAll(members);
			observer.close();
		}
	}

}
