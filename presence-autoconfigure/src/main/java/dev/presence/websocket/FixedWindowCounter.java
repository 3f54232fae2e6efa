package dev.presence.websocket;

/**
 * Counts events in fixed windows that open with the first event after the previous one
 * closed, as Supabase counts a client's presence messages. Not thread-safe: each counter
 * belongs to one connection's frame handling.
 */
final class FixedWindowCounter {

	private final long windowNanos;

	private long windowStartNanos;

	private int count;

	FixedWindowCounter(long windowNanos) {
		this.windowNanos = windowNanos;
	}

	/**
	 * Count one event.
	 * @param nowNanos the current {@link System#nanoTime()}
	 * @return the number of events in the current window, this one included
	 */
	int increment(long nowNanos) {
		if (this.count == 0 || nowNanos - this.windowStartNanos >= this.windowNanos) {
			this.windowStartNanos = nowNanos;
			this.count = 0;
		}
		return ++this.count;
	}

}
