package dev.presence.memory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.TopicBroadcast;

/**
 * {@link PresenceStore} held in this JVM: one node only, nothing survives a restart. Each
 * mutation runs under the store's lock and hands its change to the topic's listener
 * before the lock is released, so listeners see changes in sequence order.
 */
public final class InMemoryPresenceStore implements PresenceStore {

	private final String nodeId;

	private final String epoch = UUID.randomUUID().toString();

	// guarded by this
	private final Map<String, Topic> topics = new HashMap<>();

	private final Map<String, PresenceChangeListener> listeners = new ConcurrentHashMap<>();

	/**
	 * Create a store.
	 * @param nodeId the id of this node, written as the origin of every change
	 */
	public InMemoryPresenceStore(String nodeId) {
		this.nodeId = nodeId;
	}

	@Override
	public synchronized CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef) {
		Topic state = this.topics.computeIfAbsent(topic, (name) -> new Topic());
		List<PresenceEntry> leaves = new ArrayList<>();
		if (replacedRef != null) {
			PresenceEntry replaced = state.entries.remove(replacedRef);
			if (replaced != null) {
				leaves.add(replaced);
			}
		}
		state.entries.put(entry.ref(), entry);
		publish(topic, state, List.of(entry), leaves);
		return CompletableFuture.completedFuture(null);
	}

	@Override
	public synchronized CompletableFuture<Void> remove(String topic, String ref) {
		Topic state = this.topics.get(topic);
		PresenceEntry removed = (state != null) ? state.entries.remove(ref) : null;
		if (state != null && removed != null) {
			publish(topic, state, List.of(), List.of(removed));
			if (state.entries.isEmpty() && !this.listeners.containsKey(topic)) {
				this.topics.remove(topic);
			}
		}
		return CompletableFuture.completedFuture(null);
	}

	@Override
	public synchronized CompletableFuture<PresenceSnapshot> snapshot(String topic) {
		Topic state = this.topics.get(topic);
		if (state == null) {
			return CompletableFuture.completedFuture(new PresenceSnapshot(topic, "", 0, List.of()));
		}
		return CompletableFuture
			.completedFuture(new PresenceSnapshot(topic, this.epoch, state.sequence, new ArrayList<>(state.entries.values())));
	}

	@Override
	public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
		this.listeners.put(topic, listener);
		return CompletableFuture.completedFuture(null);
	}

	@Override
	public synchronized CompletableFuture<Void> unsubscribe(String topic) {
		this.listeners.remove(topic);
		Topic state = this.topics.get(topic);
		if (state != null && state.entries.isEmpty()) {
			this.topics.remove(topic);
		}
		return CompletableFuture.completedFuture(null);
	}

	@Override
	public CompletableFuture<Void> broadcast(TopicBroadcast broadcast) {
		PresenceChangeListener listener = this.listeners.get(broadcast.topic());
		if (listener != null) {
			listener.onBroadcast(broadcast);
		}
		return CompletableFuture.completedFuture(null);
	}

	private void publish(String topic, Topic state, List<PresenceEntry> joins, List<PresenceEntry> leaves) {
		state.sequence++;
		PresenceChangeListener listener = this.listeners.get(topic);
		if (listener != null) {
			listener.onChange(new PresenceChange(topic, this.epoch, state.sequence, this.nodeId, joins, leaves));
		}
	}

	private static final class Topic {

		long sequence;

		final Map<String, PresenceEntry> entries = new LinkedHashMap<>();

	}

}
