package dev.presence.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * {@code mass-join}: N clients, already connected, join one topic and track at the same
 * moment; measured until every client holds all N keys, with every frame they received.
 */
final class MassJoinScenario implements Scenario {

	@Override
	public List<Row> run(Bench bench) throws Exception {
		DriverOptions options = bench.options();
		int n = options.clients();
		ServerProcess node = bench.freshNodes(1).get(0);
		ClientStats stats = new ClientStats();
		List<PhoenixClient> clients = bench.clients().openAll(node.webSocketUri(), n, 200, stats,
				() -> new PhoenixClient(stats, true, null));
		try {
			ServerProcess.Usage before = node.usage();
			long framesBefore = stats.frames.sum();
			long bytesBefore = stats.bytes.sum();
			long start = System.nanoTime();
			List<CompletableFuture<Boolean>> replies = new ArrayList<>(2 * n);
			for (int i = 0; i < clients.size(); i++) {
				PhoenixClient client = clients.get(i);
				replies.add(client.join("realtime:mass", "user-" + i, n));
				replies.add(client.track(Payloads.meta("user-" + i, 1)));
			}
			boolean converged = Bench.await(options.timeout(),
					() -> clients.stream().allMatch((client) -> client.view().reachedAt() != 0));
			long end = clients.stream().mapToLong((client) -> client.view().reachedAt()).max().orElse(start);
			double seconds = converged ? (end - start) / 1e9 : Double.NaN;
			boolean repliesOk = Bench.allOk(replies, Duration.ofSeconds(10), stats);
			long framesAtConvergence = stats.frames.sum() - framesBefore;
			Bench.awaitQuiet(stats, Duration.ofMillis(500), Duration.ofSeconds(30));
			long frames = stats.frames.sum() - framesBefore;
			double mib = (stats.bytes.sum() - bytesBefore) / 1048576.0;
			ServerProcess.Usage after = node.usage();
			boolean ok = converged && repliesOk && clients.size() == n && stats.errors() == 0;
			String figure = String.format(Locale.ROOT,
					"%,d clients: all hold %,d keys after **%.2f s**; **%,d frames** received (%.0f MiB; %,d at convergence)%s",
					n, n, seconds, frames, mib, framesAtConvergence,
					(stats.errors() == 0) ? "" : "; " + stats.describeErrors());
			return List.of(new Row("mass-join", figure, after.cpuSeconds() - before.cpuSeconds(),
					after.rssKib() / 1024.0, ok));
		}
		finally {
			WebSocketClients.closeAll(clients);
		}
	}

}
