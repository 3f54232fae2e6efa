package dev.presence.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceStore.PresenceChangeListener;
import dev.presence.store.TopicBroadcast;

/**
 * A {@link PresenceChangeListener} that records what it receives.
 */
final class RecordingListener implements PresenceChangeListener {

	final List<PresenceChange> changes = new CopyOnWriteArrayList<>();

	final AtomicInteger lost = new AtomicInteger();

	final List<TopicBroadcast> broadcasts = new CopyOnWriteArrayList<>();

	@Override
	public void onChange(PresenceChange change) {
		this.changes.add(change);
	}

	@Override
	public void onBroadcast(TopicBroadcast broadcast) {
		this.broadcasts.add(broadcast);
	}

	@Override
	public void onSubscriptionLost() {
		this.lost.incrementAndGet();
	}

	/**
	 * Every entry that left, over all changes received.
	 */
	List<PresenceEntry> leaves() {
		return this.changes.stream().flatMap((change) -> change.leaves().stream()).toList();
	}

	/**
	 * Every entry that joined, over all changes received.
	 */
	List<PresenceEntry> joins() {
		return this.changes.stream().flatMap((change) -> change.joins().stream()).toList();
	}

}
