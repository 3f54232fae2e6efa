package dev.presence.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * A load offered at a steady rate by one driver thread, for a duration: the first part
 * (a fifth, at most 2 s) is warm-up, and the nodes' CPU is read over what follows.
 */
final class SteadyRate implements AutoCloseable {

	private final ScheduledExecutorService scheduler;

	private final List<ServerProcess> nodes;

	private final Duration duration;

	private final long warmupNanos;

	private final long measuredFromNanos;

	private volatile ServerProcess.Usage @Nullable [] before;

	private ServerProcess.Usage[] after = new ServerProcess.Usage[0];

	SteadyRate(String threadName, List<ServerProcess> nodes, Duration duration) {
		this.scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
		this.nodes = nodes;
		this.duration = duration;
		this.warmupNanos = Math.min(2_000_000_000L, duration.toNanos() / 5);
		this.measuredFromNanos = System.nanoTime() + this.warmupNanos;
	}

	/**
	 * The driver thread, for work a tick schedules for later.
	 */
	ScheduledExecutorService scheduler() {
		return this.scheduler;
	}

	/**
	 * When the warm-up ends, on the {@link System#nanoTime()} clock: samples taken before
	 * are not measured.
	 */
	long measuredFromNanos() {
		return this.measuredFromNanos;
	}

	double warmupSeconds() {
		return this.warmupNanos / 1e9;
	}

	/**
	 * Run {@code tick} {@code rate} times a second until the duration has passed, then
	 * stop the driver thread and read the nodes' usage.
	 */
	void run(int rate, Runnable tick) throws InterruptedException {
		this.scheduler.schedule(() -> {
			this.before = this.nodes.stream().map(ServerProcess::usage).toArray(ServerProcess.Usage[]::new);
		}, this.warmupNanos, TimeUnit.NANOSECONDS);
		this.scheduler.scheduleAtFixedRate(tick, 0, 1_000_000_000L / rate, TimeUnit.NANOSECONDS);
		Thread.sleep(this.duration.toMillis());
		this.scheduler.shutdownNow();
		this.after = this.nodes.stream().map(ServerProcess::usage).toArray(ServerProcess.Usage[]::new);
	}

	/**
	 * Whether the nodes' usage was read at the end of the warm-up.
	 */
	boolean measured() {
		return this.before != null;
	}

	/**
	 * CPU seconds the nodes used after the warm-up, all together.
	 */
	double cpuSeconds() {
		ServerProcess.Usage[] start = this.before;
		if (start == null) {
			return Double.NaN;
		}
		double seconds = 0;
		for (int i = 0; i < start.length; i++) {
			seconds += this.after[i].cpuSeconds() - start[i].cpuSeconds();
		}
		return seconds;
	}

	/**
	 * Resident memory of the nodes at the end, all together.
	 */
	double rssMib() {
		long kib = 0;
		for (ServerProcess.Usage usage : this.after) {
			kib += usage.rssKib();
		}
		return kib / 1024.0;
	}

	@Override
	public void close() {
		this.scheduler.shutdownNow();
	}

}
