package dev.presence.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code cross-node}: two nodes on one Redis. On node A, a pool of connections joins one
 * topic and tracks at a steady rate, each presence leaving again after a hold time; one
 * client on node B watches the topic. Measured: the time from the {@code phx_join} sent to
 * A until the key appears in a {@code presence_diff} on B (one clock: driver and both
 * clients share the JVM).
 */
final class CrossNodeScenario implements Scenario {

	private static final String TOPIC = "realtime:cross";

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		List<ServerProcess> nodes = bench.freshNodes(2);
		ServerProcess a = nodes.get(0);
		ServerProcess b = nodes.get(1);
		Map<String, Long> sent = new ConcurrentHashMap<>();
		Latencies latencies = new Latencies();
		AtomicLong recordFrom = new AtomicLong(Long.MAX_VALUE);
		ClientStats observerStats = new ClientStats();
		PhoenixClient observer = bench.clients().openAll(b.webSocketUri(), 1, 1, observerStats,
				() -> new PhoenixClient(observerStats, false, (key, n, now) -> {
					Long start = sent.remove(key);
					if (start != null && start >= recordFrom.get()) {
						latencies.record(now - start);
					}
				})).get(0);
		observer.join(TOPIC, "observer", 0).get(10, TimeUnit.SECONDS);
		int rate = options.churnRate();
		int poolSize = (int) Math.ceil(rate * (options.hold().toMillis() / 1000.0 + 0.5)) + 20;
		ClientStats churnStats = new ClientStats();
		List<PhoenixClient> pool = bench.clients().openAll(a.webSocketUri(), poolSize, 200, churnStats,
				() -> new PhoenixClient(churnStats, false, null));
		ConcurrentLinkedQueue<PhoenixClient> idle = new ConcurrentLinkedQueue<>(pool);
		AtomicLong joins = new AtomicLong();
		AtomicLong starved = new AtomicLong();
		long start = System.nanoTime();
		try (SteadyRate load = new SteadyRate("driver-churn", nodes, options.duration())) {
			recordFrom.set(load.measuredFromNanos());
			load.run(rate, () -> {
				PhoenixClient client = idle.poll();
				if (client == null) {
					starved.incrementAndGet();
					return;
				}
				long seq = joins.incrementAndGet();
				String key = "churn-" + seq;
				sent.put(key, System.nanoTime());
				client.join(TOPIC, key, 0);
				client.track(Payloads.meta(key, seq));
				load.scheduler()
					.schedule(() -> client.leave().whenComplete((ok, ex) -> idle.add(client)), options.hold().toNanos(),
							TimeUnit.NANOSECONDS);
			});
			long measured = joins.get();
			Bench.await(Duration.ofSeconds(5), sent::isEmpty);
			int lost = sent.size();
			long errors = churnStats.errors() + observerStats.errors();
			double seconds = (System.nanoTime() - start) / 1e9;
			boolean ok = lost == 0 && errors == 0 && latencies.count() > 0 && load.measured();
			String figure = String.format(Locale.ROOT,
					"%d joins/s on A for %.0f s (hold %d ms), seen on B: **p50 %.1f ms, p99 %.1f ms**, max %.1f ms "
							+ "(%,d measured after %.0f s warm-up; %d not seen, %d errors%s)",
					rate, options.duration().toMillis() / 1000.0, options.hold().toMillis(), latencies.millis(50),
					latencies.millis(99), latencies.millis(100), latencies.count(), load.warmupSeconds(), lost, errors,
					((starved.get() > 0) ? ", " + starved.get() + " ticks without an idle connection" : "")
							+ ((errors > 0) ? "; churn clients: " + churnStats.describeErrors() + ", observer: "
									+ observerStats.describeErrors() : ""));
			return List.of(new Row("cross-node", figure + String.format(Locale.ROOT,
					"; CPU and RSS of A+B (%,d joins in %.0f s)", measured, seconds), load.cpuSeconds(), load.rssMib(),
					ok));
		}
		finally {
			WebSocketClients.closeAll(pool);
			observer.close();
		}
	}

}
