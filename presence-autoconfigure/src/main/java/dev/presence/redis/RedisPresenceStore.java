package dev.presence.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.presence.core.PresenceEntry;
import dev.presence.core.PresenceSnapshot;
import dev.presence.core.PresenceStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

/**
 * {@link PresenceStore} on Redis, through Lettuce's async API: every mutation is one
 * {@code EVALSHA} of a Lua script, changes fan out with pub/sub, and a heartbeat keeps
 * the keys of this node's topics alive.
 * <p>
 * While running, the store holds one command connection and one pub/sub connection. No
 * method blocks; returned futures complete on Lettuce's threads, exceptionally when Redis
 * reports an error or does not answer within the connection's command timeout.
 *
 * <h2>Storage</h2>
 * <p>
 * Every key of topic {@code T} carries {@code T} verbatim as its hash tag, so all of them
 * live in one Redis Cluster slot and each script touches one slot.
 * <table>
 * <caption>Keys and channels</caption>
 * <tr><th>key</th><th>type</th><th>holds</th><th>time to live</th></tr>
 * <tr><td>{@code presence:{T}:e}</td><td>hash</td><td>ref &rarr; entry JSON
 * {@code {"k": key, "n": node, "p": previousRef, "m": state}}, {@code p} absent for a first
 * track</td><td>{@code keyTimeToLive}, refreshed by every change and heartbeat</td></tr>
 * <tr><td>{@code presence:{T}:s}</td><td>string</td><td>the topic's sequence number, one
 * more for every change</td><td>as the hash</td></tr>
 * <tr><td>{@code presence:nodes}</td><td>sorted set</td><td>node id &rarr; time of its last
 * heartbeat (epoch milliseconds)</td><td>{@code keyTimeToLive}, refreshed by every
 * heartbeat</td></tr>
 * <tr><td>{@code presence:{T}:changes}</td><td>channel</td><td>one message per change:
 * {@code {"s": seq, "o": originNode, "j": [entry...], "l": [entry...]}}, each entry
 * {@code {"r": ref, "k": key, "n": node, "p": previousRef, "m": state}}</td><td></td></tr>
 * </table>
 *
 * <h2>Operations</h2>
 * <p>
 * {@link #put(String, PresenceEntry, String) put} runs {@code put.lua} (an update of
 * {@code old} to {@code new}; without a replaced ref the first two lines are skipped):
 * <pre class="code">
 * EVALSHA &lt;put&gt; 2 presence:{T}:e presence:{T}:s presence:{T}:changes new {"k":...} old node 30000
 *   HGET presence:{T}:e old                                   -- if it exists, it leaves:
 *   HDEL presence:{T}:e old
 *   HSET presence:{T}:e new {"k":...}
 *   INCR presence:{T}:s
 *   PUBLISH presence:{T}:changes {"s":7,"o":"node","j":[{"r":"new",...}],"l":[{"r":"old",...}]}
 *   PEXPIRE presence:{T}:e 30000
 *   PEXPIRE presence:{T}:s 30000
 * </pre>
 * <p>
 * {@link #remove(String, String) remove} runs {@code remove.lua}, which stops after the
 * {@code HGET} when there is no such entry, publishing nothing:
 * <pre class="code">
 * EVALSHA &lt;remove&gt; 2 presence:{T}:e presence:{T}:s presence:{T}:changes ref node 30000
 *   HGET presence:{T}:e ref
 *   HDEL presence:{T}:e ref
 *   INCR presence:{T}:s
 *   PUBLISH presence:{T}:changes {"s":8,"o":"node","j":[],"l":[{"r":"ref",...}]}
 *   PEXPIRE presence:{T}:e 30000
 *   PEXPIRE presence:{T}:s 30000
 * </pre>
 * <p>
 * {@link #snapshot(String) snapshot} runs {@code snapshot.lua}, which answers
 * {@code [seq, ref1, entry1, ref2, entry2, ...]}, {@code seq} {@code "0"} for a topic
 * Redis does not know:
 * <pre class="code">
 * EVALSHA &lt;snapshot&gt; 2 presence:{T}:e presence:{T}:s
 *   HGETALL presence:{T}:e
 *   GET presence:{T}:s
 * </pre>
 * <p>
 * {@link #subscribe(String, PresenceChangeListener) subscribe} and
 * {@link #unsubscribe(String) unsubscribe} run {@code SUBSCRIBE presence:{T}:changes} and
 * {@code UNSUBSCRIBE presence:{T}:changes} on the pub/sub connection. When that connection
 * drops, Lettuce reconnects and subscribes again; once Redis confirms, the topic's listener
 * is told to resync ({@link PresenceChangeListener#onSubscriptionLost()}).
 * <p>
 * Every {@code heartbeatInterval} (on the thread {@code presence-heartbeat}), one batch
 * written with a single flush refreshes the topics this node holds entries in:
 * <pre class="code">
 * PEXPIRE presence:{T1}:e 30000
 * PEXPIRE presence:{T1}:s 30000
 * ...
 * ZADD presence:nodes 1735689600000 node
 * PEXPIRE presence:nodes 30000
 * </pre>
 * <p>
 * Scripts are loaded with {@code SCRIPT LOAD} on {@link #start()}; when Redis answers
 * {@code NOSCRIPT} (it restarted), the script runs once with {@code EVAL}, which caches
 * it again.
 */
public final class RedisPresenceStore implements PresenceStore, SmartLifecycle {

	/**
	 * The sorted set of node id to the time of its last heartbeat.
	 */
	public static final String NODES_KEY = "presence:nodes";

	/**
	 * The lifecycle phase of the store: it starts before, and stops after, the web
	 * server and anything else in the default phase.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

	private static final Log logger = LogFactory.getLog(RedisPresenceStore.class);

	private final RedisClient client;

	private final String nodeId;

	private final String keyTimeToLive;

	private final RedisPresenceCodec codec;

	private final RedisScript putScript = RedisScript.load("put");

	private final RedisScript removeScript = RedisScript.load("remove");

	private final RedisScript snapshotScript = RedisScript.load("snapshot");

	private final RedisPresenceSubscriptions subscriptions;

	private final RedisPresenceHeartbeat heartbeat;

	private final Object lifecycleMonitor = new Object();

	private volatile @Nullable Connections connections;

	/**
	 * Create a store with its own {@link JsonMapper}.
	 * @param client the client to connect with
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 */
	public RedisPresenceStore(RedisClient client, String nodeId, Duration keyTimeToLive, Duration heartbeatInterval) {
		this(client, nodeId, keyTimeToLive, heartbeatInterval, JsonMapper.builder().build());
	}

	/**
	 * Create a store.
	 * @param client the client to connect with
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 * @param jsonMapper the mapper of entries and changes
	 */
	public RedisPresenceStore(RedisClient client, String nodeId, Duration keyTimeToLive, Duration heartbeatInterval,
			JsonMapper jsonMapper) {
		Assert.notNull(client, "'client' must not be null");
		Assert.hasText(nodeId, "'nodeId' must not be empty");
		Assert.notNull(keyTimeToLive, "'keyTimeToLive' must not be null");
		Assert.notNull(heartbeatInterval, "'heartbeatInterval' must not be null");
		Assert.notNull(jsonMapper, "'jsonMapper' must not be null");
		Assert.isTrue(heartbeatInterval.toMillis() > 0, "'heartbeatInterval' must be at least 1ms");
		Assert.isTrue(keyTimeToLive.compareTo(heartbeatInterval.multipliedBy(3)) >= 0,
				() -> "'keyTimeToLive' (" + keyTimeToLive + ") must be at least three times 'heartbeatInterval' ("
						+ heartbeatInterval + ")");
		this.client = client;
		this.nodeId = nodeId;
		this.keyTimeToLive = Long.toString(keyTimeToLive.toMillis());
		this.codec = new RedisPresenceCodec(jsonMapper);
		this.subscriptions = new RedisPresenceSubscriptions(this.codec);
		this.heartbeat = new RedisPresenceHeartbeat(nodeId, heartbeatInterval, keyTimeToLive, Clock.systemUTC());
	}

	/**
	 * The id of this node, the origin of the changes it makes.
	 * @return the node id
	 */
	public String getNodeId() {
		return this.nodeId;
	}

	@Override
	public CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef) {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(entry, "'entry' must not be null");
		Connections connections = running();
		TopicKeys keys = TopicKeys.of(topic);
		String json;
		try {
			json = this.codec.writeEntry(entry);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		this.heartbeat.own(topic, entry.ref(), replacedRef);
		CompletableFuture<Long> sequence = this.putScript.run(connections.commands.async(), ScriptOutputType.INTEGER,
				keys.scriptKeys(), keys.channel(), entry.ref(), json, (replacedRef != null) ? replacedRef : "",
				this.nodeId, this.keyTimeToLive);
		return bounded(sequence, connections).thenAccept((seq) -> {
			if (logger.isDebugEnabled()) {
				logger.debug("Put '" + entry.ref() + "' under key '" + entry.key() + "' of topic '" + topic + "'"
						+ ((replacedRef != null) ? " replacing '" + replacedRef + "'" : "") + " as change " + seq);
			}
		});
	}

	@Override
	public CompletableFuture<Void> remove(String topic, String ref) {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(ref, "'ref' must not be null");
		Connections connections = running();
		TopicKeys keys = TopicKeys.of(topic);
		this.heartbeat.disown(topic, ref);
		CompletableFuture<Long> sequence = this.removeScript.run(connections.commands.async(),
				ScriptOutputType.INTEGER, keys.scriptKeys(), keys.channel(), ref, this.nodeId, this.keyTimeToLive);
		return bounded(sequence, connections).thenAccept((seq) -> {
			if (logger.isDebugEnabled()) {
				logger.debug(((seq != 0) ? "Removed '" + ref + "' as change " + seq : "Nothing to remove at '" + ref
						+ "'") + " of topic '" + topic + "'");
			}
		});
	}

	@Override
	public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
		Assert.notNull(topic, "'topic' must not be null");
		Connections connections = running();
		CompletableFuture<List<Object>> reply = this.snapshotScript.run(connections.commands.async(),
				ScriptOutputType.MULTI, TopicKeys.of(topic).scriptKeys());
		return bounded(reply, connections).thenApply((values) -> toSnapshot(topic, values));
	}

	private PresenceSnapshot toSnapshot(String topic, List<Object> values) {
		long sequence = Long.parseLong(String.valueOf(values.get(0)));
		List<PresenceEntry> entries = new ArrayList<>((values.size() - 1) / 2);
		for (int i = 1; i + 1 < values.size(); i += 2) {
			String ref = String.valueOf(values.get(i));
			try {
				entries.add(this.codec.readEntry(ref, String.valueOf(values.get(i + 1))));
			}
			catch (RuntimeException ex) {
				logger.warn("Ignoring malformed entry '" + ref + "' of topic '" + topic + "': " + ex.getMessage());
			}
		}
		return new PresenceSnapshot(topic, "", sequence, entries);
	}

	@Override
	public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(listener, "'listener' must not be null");
		Connections connections = running();
		return bounded(this.subscriptions.subscribe(connections.pubSub.async(), topic, listener), connections);
	}

	@Override
	public CompletableFuture<Void> unsubscribe(String topic) {
		Assert.notNull(topic, "'topic' must not be null");
		Connections connections = running();
		return bounded(this.subscriptions.unsubscribe(connections.pubSub.async(), topic), connections);
	}

	/**
	 * Connect, load the scripts and start the heartbeat.
	 */
	@Override
	public void start() {
		synchronized (this.lifecycleMonitor) {
			if (this.connections != null) {
				return;
			}
			StatefulRedisConnection<String, String> commands = this.client.connect();
			StatefulRedisPubSubConnection<String, String> pubSub;
			try {
				pubSub = this.client.connectPubSub();
			}
			catch (RuntimeException ex) {
				commands.close();
				throw ex;
			}
			pubSub.addListener((RedisPubSubListener<String, String>) this.subscriptions);
			pubSub.addListener((RedisConnectionStateListener) this.subscriptions);
			Connections connections = new Connections(commands, pubSub);
			try {
				loadScripts(connections);
			}
			catch (RuntimeException ex) {
				connections.close();
				throw ex;
			}
			this.connections = connections;
			this.heartbeat.start(commands, commands.getTimeout());
			logger.info("Presence store of node '" + this.nodeId + "' connected to Redis");
		}
	}

	private void loadScripts(Connections connections) {
		Duration timeout = connections.commands.getTimeout();
		try {
			CompletableFuture
				.allOf(this.putScript.load(connections.commands.async()),
						this.removeScript.load(connections.commands.async()),
						this.snapshotScript.load(connections.commands.async()))
				.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while loading the presence scripts", ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("Cannot load the presence scripts into Redis", ex);
		}
	}

	/**
	 * Stop the heartbeat, end every subscription and close the connections. The entries
	 * this node holds stay in Redis until they are removed or expire.
	 */
	@Override
	public void stop() {
		synchronized (this.lifecycleMonitor) {
			Connections connections = this.connections;
			if (connections == null) {
				return;
			}
			this.connections = null;
			this.heartbeat.stop();
			this.subscriptions.clear();
			connections.close();
			logger.info("Presence store of node '" + this.nodeId + "' disconnected from Redis");
		}
	}

	@Override
	public boolean isRunning() {
		return this.connections != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private Connections running() {
		Connections connections = this.connections;
		Assert.state(connections != null, "Presence store is not running");
		return connections;
	}

	private static <T> CompletableFuture<T> bounded(CompletableFuture<T> future, Connections connections) {
		return future.orTimeout(connections.commands.getTimeout().toMillis(), TimeUnit.MILLISECONDS);
	}

	private record Connections(StatefulRedisConnection<String, String> commands,
			StatefulRedisPubSubConnection<String, String> pubSub) {

		void close() {
			this.pubSub.close();
			this.commands.close();
		}

	}

}
