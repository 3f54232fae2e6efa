package dev.presence.store;

import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;


/**
 * Where the presences of every node live, and how their changes reach every node: the
 * service provider interface that the Redis and in-memory stores implement.
 * <p>
 * Each mutation is atomic: it changes the entries, advances the topic's sequence number
 * and publishes the resulting {@link PresenceChange} to every subscriber of the topic, in
 * sequence order. Futures complete off the caller's thread and never block it.
 */
public interface PresenceStore {

	/**
	 * Store an entry, replacing the entry with ref {@code replacedRef} in the same change
	 * when it is given (an update).
	 * @param topic the topic
	 * @param entry the new entry, owned by this node
	 * @param replacedRef the ref of the entry this one replaces, or {@code null}
	 * @return a future that completes once the change is stored and published
	 */
	CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef);

	/**
	 * Remove an entry. Removing an entry that is not there changes nothing and publishes
	 * nothing.
	 * @param topic the topic
	 * @param ref the ref of the entry
	 * @return a future that completes once the change is stored and published
	 */
	CompletableFuture<Void> remove(String topic, String ref);

	/**
	 * Read every entry of a topic together with the sequence number they reflect.
	 * @param topic the topic
	 * @return the snapshot
	 */
	CompletableFuture<PresenceSnapshot> snapshot(String topic);

	/**
	 * Start receiving the changes of a topic. Changes published after the returned future
	 * completes are all delivered, in order, to the listener (unless the store reports a
	 * {@link PresenceChangeListener#onSubscriptionLost() lost subscription}).
	 * @param topic the topic
	 * @param listener receives the changes, on a thread of the store: it must not block
	 * @return a future that completes once the subscription is active
	 */
	CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener);

	/**
	 * Stop receiving the changes of a topic.
	 * @param topic the topic
	 * @return a future that completes once the subscription is gone
	 */
	CompletableFuture<Void> unsubscribe(String topic);

	/**
	 * Publish a broadcast to every subscriber of its topic, on every node (this one
	 * included), in the order broadcasts of one topic are published from one thread. It
	 * takes no sequence number and is not stored: a subscriber that misses it does not
	 * see it later.
	 * @param broadcast the broadcast
	 * @return a future that completes once the broadcast is published; by default, for a
	 * store written before broadcasts existed, failed with an
	 * {@link UnsupportedOperationException}
	 */
	default CompletableFuture<Void> broadcast(TopicBroadcast broadcast) {
		return CompletableFuture.failedFuture(
				new UnsupportedOperationException(getClass().getName() + " does not carry broadcasts"));
	}

	/**
	 * Receives the changes of subscribed topics.
	 */
	interface PresenceChangeListener {

		/**
		 * A change of the topic was published.
		 * @param change the change
		 */
		void onChange(PresenceChange change);

		/**
		 * Changes may have been lost (the subscription's connection dropped and came back,
		 * or the store lost its data): the listener must resynchronise from a snapshot.
		 */
		void onSubscriptionLost();

		/**
		 * A broadcast to the topic was published.
		 * @param broadcast the broadcast
		 */
		default void onBroadcast(TopicBroadcast broadcast) {
		}

	}

}
