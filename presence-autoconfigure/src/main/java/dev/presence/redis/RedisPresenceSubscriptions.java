package dev.presence.redis;

import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.presence.core.LogValues;
import dev.presence.core.PresenceChange;
import dev.presence.core.PresenceStore.PresenceChangeListener;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

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
 */
final class RedisPresenceSubscriptions extends RedisPubSubAdapter<String, String>
		implements RedisConnectionStateListener {

	private static final Log logger = LogFactory.getLog(RedisPresenceSubscriptions.class);

	private final RedisPresenceCodec codec;

	private final ConcurrentMap<String, Subscription> byChannel = new ConcurrentHashMap<>();

	private final Runnable onReconnected;

	private final AtomicBoolean disconnected = new AtomicBoolean();

	/**
	 * Create the subscriptions of a store.
	 * @param codec the codec of the changes
	 * @param onReconnected called when the pub/sub connection is back after it dropped
	 */
	RedisPresenceSubscriptions(RedisPresenceCodec codec, Runnable onReconnected) {
		this.codec = codec;
		this.onReconnected = onReconnected;
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
		String channel = TopicKeys.of(topic).channel();
		Subscription subscription = new Subscription(topic, listener);
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
		try {
			subscription.listener.onChange(change);
		}
		catch (RuntimeException ex) {
			logger.error("Listener of topic " + LogValues.quote(subscription.topic) + " failed on change "
					+ change.sequence(), ex);
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

		Subscription(String topic, PresenceChangeListener listener) {
			this.topic = topic;
			this.listener = listener;
		}

	}

}
