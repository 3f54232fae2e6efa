package dev.presence.benchmarks;

import java.util.Arrays;

/**
 * Recorded latencies in nanoseconds, thread-safe, read as percentiles.
 */
final class Latencies {

	private long[] values = new long[1024];

	private int size;

	synchronized void record(long nanos) {
		if (this.size == this.values.length) {
			this.values = Arrays.copyOf(this.values, this.size * 2);
		}
		this.values[this.size++] = nanos;
	}

	synchronized int count() {
		return this.size;
	}

	/**
	 * @param percentile 0 to 100
	 * @return the value in milliseconds, NaN when nothing was recorded
	 */
	synchronized double millis(double percentile) {
		if (this.size == 0) {
			return Double.NaN;
		}
		long[] sorted = Arrays.copyOf(this.values, this.size);
		Arrays.sort(sorted);
		int index = (int) Math.ceil(percentile / 100.0 * this.size) - 1;
		return sorted[Math.max(0, Math.min(this.size - 1, index))] / 1e6;
	}

}
