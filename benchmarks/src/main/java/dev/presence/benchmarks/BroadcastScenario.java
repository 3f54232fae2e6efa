package dev.presence.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code broadcast}: what one sender's broadcasts cost and how fast they arrive.
 * <ul>
 * <li>fan-out: one node; N members join one topic and one of them broadcasts a small
 * cursor-like payload at a steady rate; every other member receives each one. Measured:
 * broadcasts and frames delivered per second, and the node's CPU per frame.</li>
 * <li>cross-node: two nodes on one Redis; the sender on node A, 100 members on node B.
 * Measured: the time from the broadcast sent to A until it arrives at a member on B
 * (one clock: the payload carries the driver's {@link System#nanoTime()}).</li>
 * </ul>
 * The nodes allow the sender any rate ({@code presence.limits.max-broadcasts-per-second}).
 */
final class BroadcastScenario implements Scenario {

	private static final List<String> NODE_ARGS = List.of("--presence.limits.max-broadcasts-per-second=1000000");

	private static final int CROSS_NODE_MEMBERS = 100;

	@Override
	public List<Row> run(Bench bench) throws Exception {
		return List.of(fanOut(bench), crossNode(bench));
	}

	private Row fanOut(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		int n = options.clients();
		ServerProcess node = bench.freshNodes(1, NODE_ARGS).get(0);
		ClientStats stats = new ClientStats();
		List<PhoenixClient> members = bench.clients().openAll(node.webSocketUri(), n, 200, stats,
				() -> new PhoenixClient(stats, false, null));
		try {
			boolean joined = joinAll(members, "realtime:broadcast", stats);
			PhoenixClient sender = members.get(0);
			AtomicLong sent = new AtomicLong();
			try (SteadyRate load = new SteadyRate("broadcast-sender", List.of(node), options.duration())) {
				AtomicLong framesAtStart = new AtomicLong(-1);
				AtomicLong sentAtStart = new AtomicLong();
				load.scheduler().schedule(() -> {
					framesAtStart.set(stats.broadcasts.sum());
					sentAtStart.set(sent.get());
				}, load.measuredFromNanos() - System.nanoTime(), TimeUnit.NANOSECONDS);
				long start = load.measuredFromNanos();
				load.run(options.broadcastRate(), () -> sender.broadcast("cursor",
						"{\"t\":" + System.nanoTime() + ",\"x\":" + sent.incrementAndGet() + ",\"y\":480}"));
				double seconds = (System.nanoTime() - start) / 1e9;
				long frames = stats.broadcasts.sum() - Math.max(0, framesAtStart.get());
				long broadcasts = sent.get() - sentAtStart.get();
				double cpu = load.cpuSeconds();
				boolean ok = joined && stats.errors() == 0 && load.measured();
				String figure = String.format(Locale.ROOT,
						"1 sender → %,d members of one topic: **%,.0f broadcasts/s sent, %,.0f frames/s delivered** "
								+ "(%,.0f asked), %.1f µs of node CPU per frame%s",
						n - 1, broadcasts / seconds, frames / seconds, broadcasts / seconds * (n - 1),
						cpu * 1e6 / Math.max(1, frames), (stats.errors() == 0) ? "" : "; " + stats.describeErrors());
				return new Row("broadcast fan-out", figure, cpu, load.rssMib(), ok);
			}
		}
		finally {
			WebSocketClients.closeAll(members);
		}
	}

	private Row crossNode(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		List<ServerProcess> nodes = bench.freshNodes(2, NODE_ARGS);
		ClientStats stats = new ClientStats();
		Latencies latencies = new Latencies();
		AtomicLong recordFrom = new AtomicLong(Long.MAX_VALUE);
		int receivers = options.smoke() ? 4 : CROSS_NODE_MEMBERS;
		List<PhoenixClient> onB = bench.clients().openAll(nodes.get(1).webSocketUri(), receivers, 100, stats,
				() -> new PhoenixClient(stats, false, null));
		List<PhoenixClient> onA = bench.clients().openAll(nodes.get(0).webSocketUri(), 1, 1, stats,
				() -> new PhoenixClient(stats, false, null));
		try {
			onB.forEach((member) -> member.observeBroadcasts((sentNanos, now) -> {
				if (sentNanos >= recordFrom.get()) {
					latencies.record(now - sentNanos);
				}
			}));
			boolean joined = joinAll(onB, "realtime:broadcast-x", stats) && joinAll(onA, "realtime:broadcast-x", stats);
			PhoenixClient sender = onA.get(0);
			AtomicLong sent = new AtomicLong();
			try (SteadyRate load = new SteadyRate("broadcast-cross", nodes, options.duration())) {
				recordFrom.set(load.measuredFromNanos());
				load.run(options.broadcastRate(), () -> sender.broadcast("cursor",
						"{\"t\":" + System.nanoTime() + ",\"x\":" + sent.incrementAndGet() + ",\"y\":480}"));
				long expected = sent.get() * receivers;
				Bench.await(Duration.ofSeconds(5), () -> stats.broadcasts.sum() >= expected);
				long lost = expected - stats.broadcasts.sum();
				boolean ok = joined && lost == 0 && stats.errors() == 0 && latencies.count() > 0 && load.measured();
				String figure = String.format(Locale.ROOT,
						"%d broadcasts/s sent on A to %d members on B: **p50 %.1f ms, p99 %.1f ms**, max %.1f ms "
								+ "(%,d measured after %.0f s warm-up; %,d not received%s); CPU and RSS of A+B",
						options.broadcastRate(), receivers, latencies.millis(50), latencies.millis(99),
						latencies.millis(100), latencies.count(), load.warmupSeconds(), Math.max(0, lost),
						(stats.errors() == 0) ? "" : ", " + stats.describeErrors());
				return new Row("broadcast cross-node", figure, load.cpuSeconds(), load.rssMib(), ok);
			}
		}
		finally {
			WebSocketClients.closeAll(onB);
			WebSocketClients.closeAll(onA);
		}
	}

	private static boolean joinAll(List<PhoenixClient> clients, String topic, ClientStats stats) {
		List<CompletableFuture<Boolean>> joins = new ArrayList<>(clients.size());
		for (int i = 0; i < clients.size(); i++) {
			joins.add(clients.get(i).join(topic, "member-" + i + "-" + topic.hashCode(), 0));
		}
		return Bench.allOk(joins, Duration.ofSeconds(60), stats);
	}

}
