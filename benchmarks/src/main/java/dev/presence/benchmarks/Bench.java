package dev.presence.benchmarks;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What scenarios share: the options, the Redis, the client event loop, and the server
 * nodes, started fresh for each scenario (after a {@code FLUSHALL}) so that each row's CPU
 * and memory belong to that scenario alone.
 */
final class Bench implements AutoCloseable {

	private final DriverOptions options;

	private final RedisProcess redis;

	private final WebSocketClients clients;

	private final List<ServerProcess> nodes = new ArrayList<>();

	Bench(DriverOptions options, RedisProcess redis, WebSocketClients clients) {
		this.options = options;
		this.redis = redis;
		this.clients = clients;
	}

	DriverOptions options() {
		return this.options;
	}

	RedisProcess redis() {
		return this.redis;
	}

	WebSocketClients clients() {
		return this.clients;
	}

	/**
	 * The nodes of a scenario. Normally the nodes of the previous scenario are stopped,
	 * Redis is emptied and {@code count} fresh nodes start on it, warmed up, so that each
	 * row's CPU and memory belong to that scenario alone. With {@code --fresh-nodes=false}
	 * (the default of {@code --smoke}) running nodes are kept and only missing ones start.
	 */
	List<ServerProcess> freshNodes(int count) throws Exception {
		return freshNodes(count, List.of());
	}

	/**
	 * The nodes of a scenario, started with arguments of its own.
	 * @param extraArgs application arguments for nodes started now
	 */
	List<ServerProcess> freshNodes(int count, List<String> extraArgs) throws Exception {
		if (this.options.freshNodes()) {
			stopNodes();
			this.redis.flushAll();
		}
		List<CompletableFuture<ServerProcess>> starting = new ArrayList<>();
		for (int i = this.nodes.size(); i < count; i++) {
			String name = String.valueOf((char) ('A' + i));
			starting.add(CompletableFuture.supplyAsync(() -> {
				try {
					return ServerProcess.start(name, this.options, this.redis.port(), extraArgs);
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
			}));
		}
		List<ServerProcess> started = new ArrayList<>();
		for (CompletableFuture<ServerProcess> node : starting) {
			started.add(node.get(300, TimeUnit.SECONDS));
		}
		this.nodes.addAll(started);
		if (this.options.warmupRounds() > 0 && !started.isEmpty()) {
			for (ServerProcess node : started) {
				warmUp(node.webSocketUri());
			}
			if (this.options.freshNodes()) {
				this.redis.flushAll();
			}
		}
		if (!this.options.profile().equals("none")) {
			for (ServerProcess node : started) {
				node.startProfiler(this.options.profile());
			}
		}
		return List.copyOf(this.nodes.subList(0, count));
	}

	/**
	 * An unmeasured load, so that the node's hot paths are compiled before measuring:
	 * rounds (ten by default) in which 250 clients connect, join one of five topics with
	 * presence, track five times, leave and disconnect (by default 2,500 handshakes, joins
	 * with a growing {@code presence_state}, 12,500 tracks and their diffs). With less (one
	 * round of 200 clients) a third of a 1,000-client mass join's CPU was still the JIT
	 * compiling; even after ten, C2 still compiles during a scenario (see RESULTS.md).
	 */
	private void warmUp(URI uri) throws Exception {
		for (int round = 0; round < this.options.warmupRounds(); round++) {
			ClientStats stats = new ClientStats();
			List<PhoenixClient> warm = this.clients.openAll(uri, 250, 100, stats,
					() -> new PhoenixClient(stats, true, null));
			List<CompletableFuture<Boolean>> replies = new ArrayList<>();
			for (int i = 0; i < warm.size(); i++) {
				PhoenixClient client = warm.get(i);
				replies.add(client.join("realtime:warmup-" + (i % 5), "warm-" + i, 0));
				for (int n = 0; n < 5; n++) {
					replies.add(client.track(Payloads.meta("warm-" + i, n)));
				}
			}
			CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
			List<CompletableFuture<Boolean>> left = new ArrayList<>();
			warm.forEach((client) -> left.add(client.leave()));
			CompletableFuture.allOf(left.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
			WebSocketClients.closeAll(warm);
		}
	}

	void stopNodes() {
		this.nodes.forEach(ServerProcess::close);
		this.nodes.clear();
	}

	static double cpu(List<ServerProcess> nodes) {
		return nodes.stream().mapToDouble(ServerProcess::cpuSeconds).sum();
	}

	static double rssMib(List<ServerProcess> nodes) {
		return nodes.stream().mapToLong(ServerProcess::rssKib).sum() / 1024.0;
	}

	/**
	 * Wait for a condition, polling.
	 * @return whether it held before the timeout
	 */
	static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(5);
		}
		return true;
	}

	/**
	 * Wait until no frame has arrived for {@code quiet}, at most {@code timeout}.
	 */
	static void awaitQuiet(ClientStats stats, Duration quiet, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		long last = stats.frames.sum();
		long lastChange = System.nanoTime();
		while (System.nanoTime() < deadline) {
			Thread.sleep(20);
			long now = stats.frames.sum();
			if (now != last) {
				last = now;
				lastChange = System.nanoTime();
			}
			else if (System.nanoTime() - lastChange > quiet.toNanos()) {
				return;
			}
		}
	}

	static boolean allOk(List<CompletableFuture<Boolean>> replies, Duration timeout, ClientStats stats) {
		boolean ok = true;
		long deadline = System.nanoTime() + timeout.toNanos();
		for (CompletableFuture<Boolean> reply : replies) {
			try {
				long left = Math.max(1, deadline - System.nanoTime());
				if (!reply.get(left, TimeUnit.NANOSECONDS)) {
					ok = false;
				}
			}
			catch (Exception ex) {
				stats.replyTimeouts.increment();
				ok = false;
			}
		}
		return ok;
	}

	static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
		Map<String, Long> delta = new java.util.TreeMap<>();
		after.forEach((command, calls) -> {
			long change = calls - before.getOrDefault(command, 0L);
			if (change != 0 && !command.equals("info")) {
				delta.put(command, change);
			}
		});
		return delta;
	}

	@Override
	public void close() {
		stopNodes();
	}

}
