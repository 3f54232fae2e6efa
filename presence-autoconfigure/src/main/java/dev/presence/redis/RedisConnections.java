package dev.presence.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.jspecify.annotations.Nullable;

/**
 * The store's two connections to Redis, standalone or Cluster, and where on a Cluster a
 * topic's commands and subscription go: one connection for commands (scripts, the
 * heartbeat, broadcasts), one for the sharded subscriptions. On a Cluster it also follows
 * the topology when a change got stuck (its master may have died and a replica taken
 * over), sooner than Lettuce's own refresh would.
 */
final class RedisConnections {

	/** How often, at most, a stuck change has the cluster topology read again. */
	private static final Duration TOPOLOGY_INTERVAL = Duration.ofMillis(250);

	private final StatefulConnection<String, String> commands;

	private final RedisClusterAsyncCommands<String, String> async;

	private final StatefulRedisPubSubConnection<String, String> pubSub;

	private final @Nullable RedisClusterClient cluster;

	private final AtomicLong topologyAskedAt = new AtomicLong(System.nanoTime() - TOPOLOGY_INTERVAL.toNanos());

	private RedisConnections(StatefulConnection<String, String> commands, RedisClusterAsyncCommands<String, String> async,
			StatefulRedisPubSubConnection<String, String> pubSub, @Nullable RedisClusterClient cluster) {
		this.commands = commands;
		this.async = async;
		this.pubSub = pubSub;
		this.cluster = cluster;
	}

	/**
	 * Open both connections; the subscriptions listen to the pub/sub one.
	 * @param client a {@link RedisClient} or a {@link RedisClusterClient}
	 * @param subscriptions told about messages and about the pub/sub connection's state
	 * @return the connections
	 * @throws io.lettuce.core.RedisConnectionException when Redis cannot be reached
	 */
	static RedisConnections open(AbstractRedisClient client, RedisPresenceSubscriptions subscriptions) {
		RedisClusterClient cluster = (client instanceof RedisClusterClient clusterClient) ? clusterClient : null;
		StatefulConnection<String, String> commands;
		RedisClusterAsyncCommands<String, String> async;
		if (cluster != null) {
			StatefulRedisClusterConnection<String, String> connection = cluster.connect();
			commands = connection;
			async = connection.async();
		}
		else {
			StatefulRedisConnection<String, String> connection = ((RedisClient) client).connect();
			commands = connection;
			async = connection.async();
		}
		StatefulRedisPubSubConnection<String, String> pubSub;
		try {
			pubSub = (cluster != null) ? cluster.connectPubSub() : ((RedisClient) client).connectPubSub();
		}
		catch (RuntimeException ex) {
			commands.close();
			throw ex;
		}
		pubSub.addListener((RedisPubSubListener<String, String>) subscriptions);
		pubSub.addListener((RedisConnectionStateListener) subscriptions);
		return new RedisConnections(commands, async, pubSub, cluster);
	}

	StatefulConnection<String, String> commands() {
		return this.commands;
	}

	RedisClusterAsyncCommands<String, String> async() {
		return this.async;
	}

	StatefulRedisPubSubConnection<String, String> pubSub() {
		return this.pubSub;
	}

	boolean isCluster() {
		return this.cluster != null;
	}

	/**
	 * The command timeout of the connections.
	 */
	Duration timeout() {
		return this.commands.getTimeout();
	}

	/**
	 * A future that fails with a timeout should Redis not answer within the command
	 * timeout.
	 */
	<T> CompletableFuture<T> bounded(CompletableFuture<T> future) {
		return future.orTimeout(timeout().toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * The id of the cluster node that owns a channel's slot, as the client's topology
	 * knows it.
	 * @param channel the channel
	 * @return the node id, {@code null} when Redis is no cluster or no node owns it
	 */
	@Nullable String ownerOf(String channel) {
		RedisClusterNode owner = master(channel);
		return (owner != null) ? owner.getNodeId() : null;
	}

	/**
	 * The cluster node that owns a channel's slot, as the client's topology knows it.
	 * @param channel the channel
	 * @return the node, {@code null} when Redis is no cluster or no node owns it
	 */
	@Nullable RedisClusterNode master(String channel) {
		if (!(this.pubSub instanceof StatefulRedisClusterPubSubConnection<String, String> clusterPubSub)) {
			return null;
		}
		return clusterPubSub.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
	}

	/**
	 * Where a command of a topic goes now, to tell later whether it got stuck there: the
	 * connection is down, or on a cluster the slot's master failed or another node took the
	 * slot over (the topology is read again meanwhile, at most every 250ms).
	 * @param topic the topic
	 * @param subscriptions moved to their slots' new owners when the topology is read
	 * @return whether a command sent now is stuck, when asked later
	 */
	BooleanSupplier route(String topic, RedisPresenceSubscriptions subscriptions) {
		if (this.cluster == null) {
			return () -> !this.commands.isOpen();
		}
		String channel = TopicKeys.of(topic).channel();
		String owner = ownerOf(channel);
		return () -> {
			followTopology(subscriptions);
			RedisClusterNode now = master(channel);
			return now == null || !now.getNodeId().equals(owner) || now.is(RedisClusterNode.NodeFlag.FAIL)
					|| now.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL);
		};
	}

	/**
	 * On a Redis Cluster, read the topology now, at most every 250ms, and move the
	 * subscriptions whose slot changed owner. Lettuce's own refresh, adaptive and periodic,
	 * follows too, but later.
	 * @param subscriptions the subscriptions to move
	 */
	void followTopology(RedisPresenceSubscriptions subscriptions) {
		RedisClusterClient cluster = this.cluster;
		if (cluster == null) {
			return;
		}
		long askedAt = this.topologyAskedAt.get();
		long now = System.nanoTime();
		if (now - askedAt < TOPOLOGY_INTERVAL.toNanos() || !this.topologyAskedAt.compareAndSet(askedAt, now)) {
			return;
		}
		cluster.refreshPartitionsAsync().whenComplete((refreshed, ex) -> {
			if (ex == null) {
				subscriptions.followSlotOwners(this.pubSub.async(), this::ownerOf);
			}
		});
	}

	/**
	 * Close both connections.
	 * @param listener the pub/sub state listener to remove first: a disconnection we make
	 * is no lost connection
	 */
	void close(RedisConnectionStateListener listener) {
		this.pubSub.removeListener(listener);
		this.pubSub.close();
		this.commands.close();
	}

}
