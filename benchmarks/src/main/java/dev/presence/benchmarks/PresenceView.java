package dev.presence.benchmarks;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client's copy of one channel's presences, kept the way the Phoenix client keeps it
 * (docs/protocol.md §3.6): diffs that arrive before the first {@code presence_state} are held
 * back, refs are the only identity. Touched only by the event loop thread of its client,
 * except {@link #reachedAt()}.
 */
final class PresenceView {

	/** key to (phx_ref to the meta's {@code n} field, or -1). */
	private final Map<String, Map<String, Long>> keys = new HashMap<>();

	private final List<Diff> pending = new ArrayList<>();

	private final int expectedKeys;

	private boolean synced;

	private volatile long reachedAt;

	/**
	 * @param expectedKeys the number of keys at which the view has converged, or 0
	 */
	PresenceView(int expectedKeys) {
		this.expectedKeys = expectedKeys;
	}

	void state(Map<String, Map<String, Long>> state) {
		this.keys.clear();
		state.forEach((key, metas) -> this.keys.put(key, new LinkedHashMap<>(metas)));
		this.synced = true;
		for (Diff diff : this.pending) {
			apply(diff);
		}
		this.pending.clear();
		checkReached();
	}

	void diff(Diff diff) {
		if (!this.synced) {
			this.pending.add(diff);
			return;
		}
		apply(diff);
		checkReached();
	}

	private void apply(Diff diff) {
		diff.joins().forEach((key, metas) -> this.keys.computeIfAbsent(key, (k) -> new LinkedHashMap<>()).putAll(metas));
		diff.leaves().forEach((key, metas) -> {
			Map<String, Long> current = this.keys.get(key);
			if (current != null) {
				metas.keySet().forEach(current::remove);
				if (current.isEmpty()) {
					this.keys.remove(key);
				}
			}
		});
	}

	private void checkReached() {
		if (this.expectedKeys > 0 && this.reachedAt == 0 && this.keys.size() >= this.expectedKeys) {
			this.reachedAt = System.nanoTime();
		}
	}

	/**
	 * When the view first held the expected number of keys.
	 * @return {@link System#nanoTime()} then, or 0 if it has not yet
	 */
	long reachedAt() {
		return this.reachedAt;
	}

	boolean synced() {
		return this.synced;
	}

	/**
	 * Read only once the client is quiet.
	 */
	int keyCount() {
		return this.keys.size();
	}

	/**
	 * Read only once the client is quiet: the {@code n} of the single meta of a key.
	 * @return the value, -1 without one, -2 when the key is absent or holds several metas
	 */
	long latest(String key) {
		Map<String, Long> metas = this.keys.get(key);
		if (metas == null || metas.size() != 1) {
			return -2;
		}
		return metas.values().iterator().next();
	}

	/**
	 * A {@code presence_diff} payload: key to (phx_ref to {@code n}).
	 */
	record Diff(Map<String, Map<String, Long>> joins, Map<String, Map<String, Long>> leaves) {
	}

}
