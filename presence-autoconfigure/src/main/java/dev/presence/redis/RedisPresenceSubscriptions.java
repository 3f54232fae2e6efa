package dev.presence.redis;

import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;
import dev.presence.store.PresenceChange;
import dev.presence.store.TopicBroadcast;
import dev.presence.store.PresenceStore.PresenceChangeListener;

/**
 * The topics subscribed on the store's pub/sub connection with sharded pub/sub
 * ({@code SSUBSCRIBE}; on a Redis Cluster, Lettuce sends it to the node that owns the
 * channel's slot), and the delivery of their changes to their listeners.
 * <p>
 * Nothing is ever thrown into Lettuce: a malformed message is logged and dropped, and so
 * is an exception of a listener. When a connection drops, Lettuce reconnects and
 * subscribes to its channels again; Redis confirming a channel a second time is how a
 * listener learns that its subscription was lost (so this works for the per-node
 * connections of a cluster too), and it is told so once the new subscription is active,
 * so a snapshot the listener takes then misses no later change.
 * <p>
 * On a Redis Cluster, a sharded subscription lives on the master that owned the channel's
 * slot when it was made, and Lettuce does not move it when a replica takes that slot
 * over: {@link #followSlotOwners} subscribes again wherever the owner changed, and the
 * listener resyncs once the new owner confirms.
 */
final class RedisPresenceSubscriptions extends RedisPubSubAdapter<String, String>
		implements RedisConnectionStateListener {

	private static final Log logger = LogFactory.getLog(RedisPresenceSubscriptions.class);

	private final RedisPresenceCodec codec;

	private final ConcurrentMap<String, Subscription> byChannel = new ConcurrentHashMap<>();

	private final Runnable onReconnected;

	private final Consumer<String> onHistoryChanged;

	private final AtomicBoolean disconnected = new AtomicBoolean();

	/**
	 * Create the subscriptions of a store.
	 * @param codec the codec of the changes
	 * @param onReconnected called when the pub/sub connection is back after it dropped
	 * @param onHistoryChanged called with a topic whose changes came in a new epoch: Redis
	 * lost it, or renewed its history after it went backwards
	 */
	RedisPresenceSubscriptions(RedisPresenceCodec codec, Runnable onReconnected, Consumer<String> onHistoryChanged) {
		this.codec = codec;
		this.onReconnected = onReconnected;
		this.onHistoryChanged = onHistoryChanged;
	}

	/**
	 * Subscribe to a topic, replacing its listener if it is already subscribed.
	 * @param commands the commands of the pub/sub connection
	 * @param topic the topic
	 * @param listener the listener of the topic
	 * @return a future that completes once Redis has confirmed the subscription
	 */
	CompletableFuture<Void> subscribe(RedisPubSubAsyncCommands<String, String> commands, String topic,
			PresenceChangeListener listener) {
		return subscribe(commands, topic, listener, null);
	}

	/**
	 * Subscribe to a topic, replacing its listener if it is already subscribed.
	 * @param commands the commands of the pub/sub connection
	 * @param topic the topic
	 * @param listener the listener of the topic
	 * @param owner the id of the cluster node that owns the channel's slot now, or
	 * {@code null} when Redis is no cluster
	 * @return a future that completes once Redis has confirmed the subscription
	 */
	CompletableFuture<Void> subscribe(RedisPubSubAsyncCommands<String, String> commands, String topic,
			PresenceChangeListener listener, @Nullable String owner) {
		String channel = TopicKeys.of(topic).channel();
		Subscription subscription = new Subscription(topic, listener);
		subscription.owner = owner;
		// registered first, so that no message published after the confirmation is missed
		this.byChannel.put(channel, subscription);
		return commands.ssubscribe(channel).toCompletableFuture().whenComplete((result, ex) -> {
			if (ex != null) {
				this.byChannel.remove(channel, subscription);
			}
		});
	}

	/**
	 * Unsubscribe from a topic; its listener receives nothing more.
	 * @param commands the commands of the pub/sub connection
	 * @param topic the topic
	 * @return a future that completes once Redis has confirmed the unsubscription
	 */
	CompletableFuture<Void> unsubscribe(RedisPubSubAsyncCommands<String, String> commands, String topic) {
		String channel = TopicKeys.of(topic).channel();
		this.byChannel.remove(channel);
		return commands.sunsubscribe(channel).toCompletableFuture();
	}

	/**
	 * Subscribe again to every channel whose slot another cluster node owns now than when
	 * it was subscribed (a replica took over a dead master); each such listener resyncs
	 * once the new owner confirms.
	 * @param commands the commands of the cluster pub/sub connection, which sends an
	 * {@code SSUBSCRIBE} to the slot's owner as the client's topology knows it
	 * @param ownerOfChannel the id of the node that owns a channel's slot now, or
	 * {@code null} when no node does
	 * @return the number of channels subscribed again
	 */
	synchronized int followSlotOwners(RedisPubSubAsyncCommands<String, String> commands,
			Function<String, @Nullable String> ownerOfChannel) {
		int moved = 0;
		for (var subscribed : this.byChannel.entrySet()) {
			String channel = subscribed.getKey();
			Subscription subscription = subscribed.getValue();
			String owner = ownerOfChannel.apply(channel);
			if (owner == null || owner.equals(subscription.owner)) {
				continue;
			}
			logger.info("Slot of topic " + LogValues.quote(subscription.topic) + " moved to cluster node " + owner
					+ "; subscribing there");
			subscription.owner = owner;
			moved++;
			commands.ssubscribe(channel).exceptionally((ex) -> {
				// tried again at the next look: the node may not serve the slot yet
				subscription.owner = null;
				logger.warn("Could not subscribe to topic " + LogValues.quote(subscription.topic) + " on its new owner: " + ex);
				return null;
			});
		}
		return moved;
	}

	/**
	 * Whether a topic is subscribed.
	 * @param topic the topic
	 * @return whether it is
	 */
	boolean isSubscribed(String topic) {
		return this.byChannel.containsKey(TopicKeys.of(topic).channel());
	}

	/**
	 * Note a history of a topic seen elsewhere (a snapshot).
	 * @param topic the topic
	 * @param history the epoch and sequence number seen
	 */
	void seen(String topic, TopicHistory history) {
		Subscription subscription = this.byChannel.get(TopicKeys.of(topic).channel());
		if (subscription != null) {
			subscription.see(history);
		}
	}

	/**
	 * The history of every subscribed topic as last seen.
	 * @return topic to the epoch and highest sequence number seen in it
	 */
	Map<String, TopicHistory> seen() {
		Map<String, TopicHistory> seen = new HashMap<>();
		this.byChannel.values().forEach((subscription) -> {
			TopicHistory history = subscription.seen;
			if (history != null) {
				seen.put(subscription.topic, history);
			}
		});
		return seen;
	}

	/**
	 * Forget every subscription (the pub/sub connection is closing).
	 */
	void clear() {
		this.byChannel.clear();
	}

	@Override
	public void smessage(String channel, String message) {
		Subscription subscription = this.byChannel.get(channel);
		if (subscription == null) {
			return;
		}
		if (RedisPresenceCodec.isBroadcast(message)) {
			broadcast(subscription, channel, message);
			return;
		}
		PresenceChange change;
		try {
			change = this.codec.readChange(subscription.topic, message);
		}
		catch (RuntimeException ex) {
			logger.warn("Ignoring malformed presence change on channel " + LogValues.quote(channel) + ": "
					+ LogValues.quote(ex.getMessage()));
			return;
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Change " + change.sequence() + " of topic " + LogValues.quote(change.topic()) + " from node '"
					+ change.origin() + "': " + change.joins().size() + " join(s), " + change.leaves().size()
					+ " leave(s)");
		}
		if (subscription.see(new TopicHistory(change.epoch(), change.sequence()))) {
			try {
				this.onHistoryChanged.accept(subscription.topic);
			}
			catch (RuntimeException ex) {
				logger.error("Presence store failed to act on the new history of topic "
						+ LogValues.quote(subscription.topic),
						ex);
			}
		}
		try {
			subscription.listener.onChange(change);
		}
		catch (RuntimeException ex) {
			logger.error("Listener of topic " + LogValues.quote(subscription.topic) + " failed on change "
					+ change.sequence(), ex);
		}
	}

	private void broadcast(Subscription subscription, String channel, String message) {
		TopicBroadcast broadcast;
		try {
			broadcast = this.codec.readBroadcast(subscription.topic, message);
		}
		catch (RuntimeException ex) {
			logger.warn("Ignoring malformed broadcast on channel " + LogValues.quote(channel) + ": "
					+ LogValues.quote(ex.getMessage()));
			return;
		}
		try {
			subscription.listener.onBroadcast(broadcast);
		}
		catch (RuntimeException ex) {
			logger.error("Listener of topic " + LogValues.quote(subscription.topic) + " failed on a broadcast", ex);
		}
	}

	@Override
	public void ssubscribed(String channel, long count) {
		Subscription subscription = this.byChannel.get(channel);
		// the first confirmation is the subscription's own, any later one a resubscription
		if (subscription != null && subscription.confirmed.getAndSet(true)) {
			logger.info("Resubscribed to topic " + LogValues.quote(subscription.topic)
					+ "; telling its listener to resync");
			try {
				subscription.listener.onSubscriptionLost();
			}
			catch (RuntimeException ex) {
				logger.error("Listener of topic " + LogValues.quote(subscription.topic)
						+ " failed on a lost subscription", ex);
			}
		}
	}

	@Override
	public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
		this.disconnected.set(true);
		logger.warn("Presence pub/sub connection lost; " + this.byChannel.size()
				+ " topic(s) will resync once resubscribed");
	}

	@Override
	public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress socketAddress) {
		if (this.disconnected.compareAndSet(true, false)) {
			try {
				this.onReconnected.run();
			}
			catch (RuntimeException ex) {
				logger.error("Presence store failed to act on the reconnection of its pub/sub connection", ex);
			}
		}
	}

	private static final class Subscription {

		private final String topic;

		private final PresenceChangeListener listener;

		/**
		 * Whether Redis confirmed the subscription once already.
		 */
		private final AtomicBoolean confirmed = new AtomicBoolean();

		/**
		 * The cluster node the subscription was made on, {@code null} when Redis is no
		 * cluster or the owner is to be looked up again.
		 */
		private volatile @Nullable String owner;

		/** The epoch and highest sequence number seen, from changes and snapshots. */
		private volatile @Nullable TopicHistory seen;

		/**
		 * Note a history seen.
		 * @return whether it is of another epoch than the one seen before
		 */
		synchronized boolean see(TopicHistory history) {
			TopicHistory before = this.seen;
			if (before == null || !before.epoch().equals(history.epoch()) || history.sequence() > before.sequence()) {
				this.seen = history;
			}
			return before != null && !before.epoch().equals(history.epoch());
		}

		Subscription(String topic, PresenceChangeListener listener) {
			this.topic = topic;
			this.listener = listener;
		}

	}

}
