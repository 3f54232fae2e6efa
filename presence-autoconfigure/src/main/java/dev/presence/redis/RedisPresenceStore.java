package dev.presence.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.util.Assert;

import dev.presence.core.LogValues;
import dev.presence.engine.PresenceMonitor;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.TopicBroadcast;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link PresenceStore} on Redis or Redis Cluster, through Lettuce's async API: every
 * mutation is one {@code EVALSHA} of a Lua script, changes fan out with sharded pub/sub,
 * a heartbeat keeps this node's keys alive and watches for lost keys and dead nodes, and
 * the node re-asserts its own presences whenever Redis lost them.
 * <p>
 * While running, the store holds one command connection and one pub/sub connection (on a
 * cluster, Lettuce opens one of each per node behind them). No method blocks but
 * {@link #start()} and {@link #stop()}; returned futures complete on Lettuce's threads,
 * exceptionally when Redis reports an error or does not answer within the connection's
 * command timeout.
 *
 * <h2>Storage</h2>
 * <p>
 * Every key of topic {@code T} carries {@code T} verbatim as its hash tag, so all of them,
 * and the topic's channel, live in one Redis Cluster slot and each script touches one
 * slot. Keys of other slots ({@code presence:nodes}, a node's topics, reap claims) are
 * only ever touched by single-key commands, never by a topic's script.
 * <table>
 * <caption>Keys and channels</caption>
 * <tr><th>key</th><th>type</th><th>holds</th><th>time to live</th></tr>
 * <tr><td>{@code presence:{T}:e}</td><td>hash</td><td>ref &rarr; entry JSON
 * {@code {"k": key, "n": node, "p": previousRef, "m": state}}, {@code p} absent for a first
 * track</td><td>{@code keyTimeToLive}, refreshed by every change and by the heartbeat of
 * every node holding entries in it</td></tr>
 * <tr><td>{@code presence:{T}:s}</td><td>hash</td><td>{@code seq}: the topic's sequence
 * number, one more for every change; {@code epoch}: a random id of the topic's history,
 * created by the first change that finds none, so after a restart, a flush or an expiry
 * the numbering restarts under a new epoch</td><td>as the entries</td></tr>
 * <tr><td>{@code presence:{T}:changes}</td><td>sharded channel</td><td>one message per
 * change: {@code {"e": epoch, "s": seq, "o": originNode, "j": [entry...], "l": [entry...]}},
 * each entry {@code {"r": ref, "k": key, "n": node, "p": previousRef, "m": state}}</td>
 * <td></td></tr>
 * <tr><td>{@code presence:nodes}</td><td>sorted set</td><td>node id &rarr; time of its last
 * heartbeat, epoch milliseconds of that node's clock (nodes' clocks must agree to well
 * within {@code nodeTimeout})</td><td>{@code keyTimeToLive}, refreshed by every
 * heartbeat</td></tr>
 * <tr><td>{@code presence:node:{N}:topics}</td><td>set</td><td>the topics node {@code N}
 * holds entries in, what its reaper visits</td><td>{@code keyTimeToLive}, refreshed by
 * every heartbeat of {@code N}</td></tr>
 * <tr><td>{@code presence:reap:{N}}</td><td>string</td><td>the id of the node that reaps
 * dead node {@code N}</td><td>{@code 3 * nodeTimeout}</td></tr>
 * </table>
 *
 * <h2>Operations</h2>
 * <p>
 * Every script gets {@code KEYS} {@code presence:{T}:e presence:{T}:s presence:{T}:changes}
 * and, as its first {@code ARGV}, the origin node, the keys' time to live and a fresh
 * random epoch, used only when the topic has none. A script that changes something runs
 * {@code HGET presence:{T}:s epoch} (and, if there is none,
 * {@code HSET presence:{T}:s epoch <fresh> seq 0}), {@code HINCRBY presence:{T}:s seq 1},
 * {@code SPUBLISH} and a {@code PEXPIRE} of both keys; a script that changes nothing
 * publishes nothing. That shared part is written once, in {@code change.lua}, which each
 * of these scripts includes ({@link RedisScript#load(String)}); its arguments (node, time
 * to live, fresh epoch) are supplied by {@link RedisChangeScript}, which runs them all.
 * A broadcast is one {@code SPUBLISH} on the same channel, outside the numbering
 * ({@link #broadcast(TopicBroadcast)}).
 * <p>
 * {@link #put(String, PresenceEntry, String) put} runs {@code put.lua} (an update of
 * {@code old} to {@code new}; without a replaced ref the first two lines are skipped). The
 * node's first put in a topic also sends, just before, {@code SADD presence:node:{N}:topics T}
 * and its {@code PEXPIRE}:
 * <pre class="code">
 * EVALSHA &lt;put&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes node 120000 3fa4... new {"k":...} old
 *   HGET presence:{T}:e old                                   -- if it exists, it leaves:
 *   HDEL presence:{T}:e old
 *   HSET presence:{T}:e new {"k":...}
 *   HGET presence:{T}:s epoch
 *   HINCRBY presence:{T}:s seq 1
 *   SPUBLISH presence:{T}:changes {"e":"3fa4...","s":7,"o":"node","j":[{"r":"new",...}],"l":[{"r":"old",...}]}
 *   PEXPIRE presence:{T}:e 120000
 *   PEXPIRE presence:{T}:s 120000
 * </pre>
 * <p>
 * {@link #remove(String, String) remove} runs {@code remove.lua} with one ref (it takes
 * any number), which publishes nothing when none of them is there:
 * <pre class="code">
 * EVALSHA &lt;remove&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes node 120000 3fa4... ref
 *   HGET presence:{T}:e ref
 *   HDEL presence:{T}:e ref
 *   HGET presence:{T}:s epoch
 *   HINCRBY presence:{T}:s seq 1
 *   SPUBLISH presence:{T}:changes {"e":"3fa4...","s":8,"o":"node","j":[],"l":[{"r":"ref",...}]}
 *   PEXPIRE presence:{T}:e 120000
 *   PEXPIRE presence:{T}:s 120000
 * </pre>
 * <p>
 * {@link #snapshot(String) snapshot} runs {@code snapshot.lua}, which answers
 * {@code [seq, epoch, ref1, entry1, ...]}, {@code "0"} and {@code ""} for a topic Redis
 * does not know:
 * <pre class="code">
 * EVALSHA &lt;snapshot&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes
 *   HGETALL presence:{T}:e
 *   HMGET presence:{T}:s seq epoch
 * </pre>
 * <p>
 * {@link #subscribe(String, PresenceChangeListener) subscribe} and
 * {@link #unsubscribe(String) unsubscribe} run {@code SSUBSCRIBE presence:{T}:changes} and
 * {@code SUNSUBSCRIBE presence:{T}:changes} on the pub/sub connection. When a connection
 * drops, Lettuce reconnects and subscribes again; once Redis confirms, the topic's listener
 * is told to resync ({@link PresenceChangeListener#onSubscriptionLost()}).
 * <p>
 * <b>Re-assert.</b> The node keeps every entry it owns, as stored. Re-asserting a topic runs
 * {@code reassert.lua} with all of them (at most 512 per call), which adds back the missing
 * ones with their refs, removes the entries of this node it no longer owns (when one call
 * carries them all: an untrack that a failover lost) and publishes both as one change
 * (nothing when nothing changed):
 * <pre class="code">
 * EVALSHA &lt;reassert&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes node 120000 3fa4... 1 "" 0 ref1 {"k":...} ...
 *   HSETNX presence:{T}:e ref1 {"k":...}                      -- for each entry
 *   HGETALL presence:{T}:e                                    -- then HDEL each entry of node it did not list
 *   HGET presence:{T}:s epoch                                 -- if any was added or removed:
 *   HINCRBY presence:{T}:s seq 1
 *   SPUBLISH presence:{T}:changes {"e":...,"j":[the entries added],"l":[the entries removed]}
 *   PEXPIRE presence:{T}:e 120000
 *   PEXPIRE presence:{T}:s 120000
 * </pre>
 * A topic is re-asserted when the heartbeat's {@code PEXPIRE} of its entries answers 0 (the
 * key is gone), and when a change of it arrives in another epoch than the last one seen
 * (Redis lost it and another node wrote first, or its history was renewed); every topic
 * is, when the pub/sub connection came back after it dropped and when the heartbeat's
 * {@code ZADD} answers 1 (this node was missing: it was reaped while cut off, or Redis lost
 * everything). The owned entries change, and the commands that change them are
 * dispatched, under one lock, so a re-assert never resurrects a presence that was removed.
 * <p>
 * <b>A history that went backwards.</b> Replication is asynchronous: a replica promoted by
 * a failover may miss the last changes, with the same epoch and a lower {@code seq}. The
 * node remembers, per subscribed topic, the epoch and the highest {@code seq} it saw (in a
 * change or a snapshot); the heartbeat reads {@code HMGET presence:{T}:s epoch seq} of each,
 * and a topic whose {@code seq} is lower in the same epoch is re-asserted with that epoch
 * and {@code seq} as arguments ({@code ... 1 3fa4... 42 ref1 ...}): the script then first
 * renews the history ({@code HSET presence:{T}:s epoch <fresh> seq 0}, only if Redis still
 * holds that epoch below that {@code seq}, so the first node to notice renews it once), and
 * publishes its change even if empty. Every node's replica resyncs on the new epoch, and
 * every node owning entries re-asserts the topic on seeing it.
 * <p>
 * <b>Retry.</b> A put or a remove whose attempt is stuck (looked at every 500ms: its
 * connection is down, or on a cluster the slot's master failed or changed), times out,
 * loses its connection or gets {@code CLUSTERDOWN}, {@code TRYAGAIN}, {@code LOADING},
 * {@code READONLY} or {@code MASTERDOWN} is tried again, in order with the node's other changes of the entry,
 * until {@code mutationTimeout} has passed (see {@link RedisRetry}); its future completes
 * with the outcome. A retried put goes out only if its entry was not removed meanwhile.
 * <b>Heartbeat.</b> Every {@code heartbeatInterval} (on the thread
 * {@code presence-heartbeat}), one batch written with a single flush, one round trip
 * whatever the number of topics:
 * <pre class="code">
 * PEXPIRE presence:{T1}:e 120000                             -- for each topic the node holds entries in
 * PEXPIRE presence:{T1}:s 120000
 * SREM presence:node:{N}:topics T9 ...                       -- topics emptied since the last beat
 * SADD presence:node:{N}:topics T1 ...
 * PEXPIRE presence:node:{N}:topics 120000
 * ZADD presence:nodes 1735689600000 N
 * PEXPIRE presence:nodes 120000
 * ZRANGEBYSCORE presence:nodes -inf (1735689590000           -- now - nodeTimeout: the dead nodes
 * HMGET presence:{T1}:s epoch seq                            -- for each subscribed topic
 * </pre>
 * <p>
 * A node whose beat failed (Redis unreachable, a failover) reaps no node until it has had
 * {@code nodeTimeout} of answered beats: the other nodes could not beat either, and their
 * old scores tell of the outage, not of their death.
 * <p>
 * On a Redis Cluster, each beat also checks whether a subscribed topic's slot moved to
 * another master (a replica took over) and, if so, subscribes there again
 * ({@code SSUBSCRIBE} on the new owner); the topic's listener resyncs once it confirms.
 * <p>
 * <b>Reap.</b> For each dead node {@code D} the beat found, the node tries to claim it and,
 * if it wins, removes its entries with {@code reap.lua}, whose leaves carry the reaper as
 * origin and are only those {@code HDEL} removed, so no leave is ever published twice
 * (see {@link RedisPresenceReaper}):
 * <pre class="code">
 * SET presence:reap:{D} N NX PX 30000                        -- nil: another node reaps D
 * SMEMBERS presence:node:{D}:topics
 * EVALSHA &lt;reap&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes N 120000 3fa4... D  -- each topic
 *   HGETALL presence:{T}:e
 *   HDEL presence:{T}:e ref ...                              -- each entry whose "n" is D
 *   HGET presence:{T}:s epoch, HINCRBY, SPUBLISH the leaves, PEXPIRE, PEXPIRE
 * ZREM presence:nodes D
 * DEL presence:node:{D}:topics
 * </pre>
 * <p>
 * <b>Stop.</b> {@link #stop()} removes every entry this node owns, one {@code remove.lua}
 * per topic with all its refs (their leaves published), then
 * {@code ZREM presence:nodes N} and {@code DEL presence:node:{N}:topics}, waiting at most
 * {@code nodeTimeout} (past which the other nodes would reap them anyway), and closes the
 * connections.
 * <p>
 * Scripts are loaded with {@code SCRIPT LOAD} on {@link #start()}; when Redis answers
 * {@code NOSCRIPT} (it restarted, or a promoted replica never had the script), the script
 * runs once with {@code EVAL}, which caches it again; a put retried so is dropped if its
 * entry was removed meanwhile.
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

	private static final int CLAIM_TIMEOUTS = 3;

	/**
	 * How long a put or remove is retried while Redis fails over, unless the store is
	 * given another bound.
	 */
	public static final Duration DEFAULT_MUTATION_TIMEOUT = Duration.ofSeconds(8);

	/**
	 * How often an unanswered put or remove is looked at, to be cancelled and tried again
	 * if it is stuck: a command queued for a master that died waits for no reconnection.
	 */
	private static final Duration ATTEMPT_CHECK_INTERVAL = Duration.ofMillis(500);

	/** The least time between two topology reads this node asks for itself. */
	private final AbstractRedisClient client;

	private final String nodeId;

	private final String keyTimeToLive;

	private final Duration nodeTimeout;

	private final RedisPresenceCodec codec;

	private final RedisChangeScript putScript;

	private final RedisChangeScript removeScript;

	private final RedisScript snapshotScript = RedisScript.load("snapshot");


	private final RedisChangeScript reapScript;

	private final RedisOwnedPresences owned = new RedisOwnedPresences();

	private final RedisPresenceSubscriptions subscriptions;

	private final RedisPresenceHeartbeat heartbeat;

	private final RedisPresenceReaper reaper;

	private final RedisPresenceReassertion reassertion;

	private final RedisRetry retry;

	/** When this node last asked a cluster for its topology, {@link System#nanoTime()}. */
	private final Object lifecycleMonitor = new Object();

	private volatile @Nullable RedisConnections connections;

	/**
	 * Create a store with its own {@link JsonMapper}.
	 * @param client the client to connect with: a {@link RedisClient} or a
	 * {@link RedisClusterClient}
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals and longer than the node timeout
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 * @param nodeTimeout how long a node may go without a heartbeat before it is declared
	 * dead and reaped; longer than the heartbeat interval, better several of them
	 */
	public RedisPresenceStore(AbstractRedisClient client, String nodeId, Duration keyTimeToLive,
			Duration heartbeatInterval, Duration nodeTimeout) {
		this(client, nodeId, keyTimeToLive, heartbeatInterval, nodeTimeout, JsonMapper.builder().build());
	}

	/**
	 * Create a store.
	 * @param client the client to connect with: a {@link RedisClient} or a
	 * {@link RedisClusterClient}
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals and longer than the node timeout
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 * @param nodeTimeout how long a node may go without a heartbeat before it is declared
	 * dead and reaped; longer than the heartbeat interval, better several of them
	 * @param jsonMapper the mapper of entries and changes
	 */
	public RedisPresenceStore(AbstractRedisClient client, String nodeId, Duration keyTimeToLive,
			Duration heartbeatInterval, Duration nodeTimeout, JsonMapper jsonMapper) {
		this(client, nodeId, keyTimeToLive, heartbeatInterval, nodeTimeout, jsonMapper, PresenceMonitor.NONE);
	}

	/**
	 * Create a store that tells a monitor about the dead nodes it reaps.
	 * @param client the client to connect with: a {@link RedisClient} or a
	 * {@link RedisClusterClient}
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals and longer than the node timeout
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 * @param nodeTimeout how long a node may go without a heartbeat before it is declared
	 * dead and reaped; longer than the heartbeat interval, better several of them
	 * @param jsonMapper the mapper of entries and changes
	 * @param monitor told about each dead node this node reaps
	 */
	public RedisPresenceStore(AbstractRedisClient client, String nodeId, Duration keyTimeToLive,
			Duration heartbeatInterval, Duration nodeTimeout, JsonMapper jsonMapper, PresenceMonitor monitor) {
		this(client, nodeId, keyTimeToLive, heartbeatInterval, nodeTimeout, DEFAULT_MUTATION_TIMEOUT, jsonMapper,
				monitor);
	}

	/**
	 * Create a store that tells a monitor about the dead nodes it reaps.
	 * @param client the client to connect with: a {@link RedisClient} or a
	 * {@link RedisClusterClient}
	 * @param nodeId the id of this node
	 * @param keyTimeToLive how long the keys of a topic outlive its last change or
	 * heartbeat; at least three heartbeat intervals and longer than the node timeout
	 * @param heartbeatInterval how often the node refreshes its keys and its heartbeat
	 * @param nodeTimeout how long a node may go without a heartbeat before it is declared
	 * dead and reaped; longer than the heartbeat interval, better several of them
	 * @param mutationTimeout how long a put or remove is retried while Redis is
	 * unreachable or fails over, before it fails
	 * @param jsonMapper the mapper of entries and changes
	 * @param monitor told about each dead node this node reaps
	 */
	public RedisPresenceStore(AbstractRedisClient client, String nodeId, Duration keyTimeToLive,
			Duration heartbeatInterval, Duration nodeTimeout, Duration mutationTimeout, JsonMapper jsonMapper,
			PresenceMonitor monitor) {
		Assert.notNull(mutationTimeout, "'mutationTimeout' must not be null");
		Assert.notNull(client, "'client' must not be null");
		Assert.isTrue(client instanceof RedisClient || client instanceof RedisClusterClient,
				() -> "'client' must be a RedisClient or a RedisClusterClient, not " + client.getClass().getName());
		Assert.hasText(nodeId, "'nodeId' must not be empty");
		Assert.notNull(keyTimeToLive, "'keyTimeToLive' must not be null");
		Assert.notNull(heartbeatInterval, "'heartbeatInterval' must not be null");
		Assert.notNull(nodeTimeout, "'nodeTimeout' must not be null");
		Assert.notNull(jsonMapper, "'jsonMapper' must not be null");
		Assert.notNull(monitor, "'monitor' must not be null");
		Assert.isTrue(heartbeatInterval.toMillis() > 0, "'heartbeatInterval' must be at least 1ms");
		Assert.isTrue(keyTimeToLive.compareTo(heartbeatInterval.multipliedBy(3)) >= 0,
				() -> "'keyTimeToLive' (" + keyTimeToLive + ") must be at least three times 'heartbeatInterval' ("
						+ heartbeatInterval + ")");
		Assert.isTrue(nodeTimeout.compareTo(heartbeatInterval) > 0, () -> "'nodeTimeout' (" + nodeTimeout
				+ ") must be longer than 'heartbeatInterval' (" + heartbeatInterval + ")");
		Assert.isTrue(keyTimeToLive.compareTo(nodeTimeout) > 0, () -> "'keyTimeToLive' (" + keyTimeToLive
				+ ") must be longer than 'nodeTimeout' (" + nodeTimeout + ")");
		this.client = client;
		this.nodeId = nodeId;
		this.keyTimeToLive = Long.toString(keyTimeToLive.toMillis());
		this.nodeTimeout = nodeTimeout;
		this.codec = new RedisPresenceCodec(jsonMapper);
		this.subscriptions = new RedisPresenceSubscriptions(this.codec, this::pubSubReconnected,
				(topic) -> reassert(List.of(topic), "the topic has a new history in Redis"));
		this.heartbeat = new RedisPresenceHeartbeat(nodeId, heartbeatInterval, keyTimeToLive, nodeTimeout,
				Clock.systemUTC(), this.owned, this.subscriptions::seen, new HeartbeatListener());
		this.retry = new RedisRetry(mutationTimeout, ATTEMPT_CHECK_INTERVAL, this::followTopology);
		this.putScript = new RedisChangeScript("put", nodeId, this.keyTimeToLive);
		this.removeScript = new RedisChangeScript("remove", nodeId, this.keyTimeToLive);
		this.reapScript = new RedisChangeScript("reap", nodeId, this.keyTimeToLive);
		this.reaper = new RedisPresenceReaper(nodeId, nodeTimeout.multipliedBy(CLAIM_TIMEOUTS), this.reapScript,
				monitor);
		this.reassertion = new RedisPresenceReassertion(nodeId,
				new RedisChangeScript("reassert", nodeId, this.keyTimeToLive), this.owned,
				this.subscriptions::isSubscribed, () -> {
					RedisConnections connections = this.connections;
					return (connections != null) ? connections.async() : null;
				});
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
		RedisConnections connections = running();
		String json;
		try {
			json = this.codec.writeEntry(entry);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		List<String> args = List.of(entry.ref(), json, (replacedRef != null) ? replacedRef : "");
		Function<Boolean, CompletableFuture<Long>> send = (eval) -> this.putScript.call(connections.async(), topic,
				eval, args);
		AtomicBoolean firstAttempt = new AtomicBoolean(true);
		String replacedJson = (replacedRef != null) ? this.owned.json(topic, replacedRef) : null;
		CompletableFuture<Long> sequence = this.retry.run("Put of '" + entry.ref() + "' in topic " + LogValues.quote(topic),
				(eval) -> {
					if (firstAttempt.getAndSet(false)) {
						return this.owned.put(topic, entry.ref(), json, replacedRef, (first) -> {
							if (first) {
								addTopic(connections, topic);
							}
							return send.apply(eval);
						});
					}
					// dispatched after what came since: only if a remove did not come since
					return this.owned.ifOwned(topic, entry.ref(), () -> send.apply(eval), null);
				}, 0L, () -> connections.route(topic, this.subscriptions))
			.whenComplete((seq, ex) -> {
				if (ex != null) {
					// the client is told the put failed, yet it may have run: own what the client
					// has, and make Redis agree once it can
					this.owned.undoPut(topic, entry.ref(), replacedRef, replacedJson);
					this.reassertion.reconcile(topic, 0);
				}
			});
		return sequence.thenAccept((seq) -> {
			if (logger.isDebugEnabled()) {
				logger.debug("Put '" + entry.ref() + "' under key " + LogValues.quote(entry.key()) + " of topic "
						+ LogValues.quote(topic) + ((replacedRef != null) ? " replacing '" + replacedRef + "'" : "")
						+ " as change " + seq);
			}
		});
	}

	private void addTopic(RedisConnections connections, String topic) {
		String topicsKey = TopicKeys.nodeTopics(this.nodeId);
		// sent just before the put and not waited for: the three commands go out back to back
		// (pipelined), so the track still waits one round trip, and Redis knows where to reap
		// the entry once it holds it
		connections.async().sadd(topicsKey, topic).exceptionally((ex) -> {
			logger.warn("Could not record topic " + LogValues.quote(topic) + " of node '" + this.nodeId
					+ "'; the next heartbeat will: " + ex);
			return 0L;
		});
		connections.async().pexpire(topicsKey, Long.parseLong(this.keyTimeToLive)).exceptionally((ex) -> false);
	}

	@Override
	public CompletableFuture<Void> remove(String topic, String ref) {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(ref, "'ref' must not be null");
		RedisConnections connections = running();
		Function<Boolean, CompletableFuture<Long>> send = (eval) -> this.removeScript.call(connections.async(), topic,
				eval, List.of(ref));
		AtomicBoolean firstAttempt = new AtomicBoolean(true);
		CompletableFuture<Long> sequence = this.retry.run("Remove of '" + ref + "' in topic " + LogValues.quote(topic),
				(eval) -> firstAttempt.getAndSet(false) ? this.owned.remove(topic, ref, () -> send.apply(eval))
						: this.owned.withTopics((topics) -> send.apply(eval)),
				0L, () -> connections.route(topic, this.subscriptions))
			.whenComplete((seq, ex) -> {
				if (ex != null) {
					// the node owns the entry no more: Redis drops it once it can
					this.reassertion.reconcile(topic, 0);
				}
			});
		return sequence.thenAccept((seq) -> {
			if (logger.isDebugEnabled()) {
				logger.debug(((seq != 0) ? "Removed '" + ref + "' as change " + seq : "Nothing to remove at '" + ref
						+ "'") + " of topic " + LogValues.quote(topic));
			}
		});
	}

	@Override
	public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
		Assert.notNull(topic, "'topic' must not be null");
		RedisConnections connections = running();
		CompletableFuture<List<Object>> reply = this.snapshotScript.run(connections.async(), ScriptOutputType.MULTI,
				TopicKeys.of(topic).scriptKeys());
		return connections.bounded(reply).thenApply((values) -> {
			PresenceSnapshot snapshot = toSnapshot(topic, values);
			if (!snapshot.epoch().isEmpty()) {
				this.subscriptions.seen(topic, new TopicHistory(snapshot.epoch(), snapshot.sequence()));
			}
			return snapshot;
		});
	}

	private PresenceSnapshot toSnapshot(String topic, List<Object> values) {
		long sequence = Long.parseLong(String.valueOf(values.get(0)));
		String epoch = String.valueOf(values.get(1));
		List<PresenceEntry> entries = new ArrayList<>((values.size() - 2) / 2);
		for (int i = 2; i + 1 < values.size(); i += 2) {
			String ref = String.valueOf(values.get(i));
			try {
				entries.add(this.codec.readEntry(ref, String.valueOf(values.get(i + 1))));
			}
			catch (RuntimeException ex) {
				logger.warn("Ignoring malformed entry " + LogValues.quote(ref) + " of topic " + LogValues.quote(topic)
						+ ": " + LogValues.quote(ex.getMessage()));
			}
		}
		return new PresenceSnapshot(topic, epoch, sequence, entries);
	}

	/**
	 * Publish a broadcast with one {@code SPUBLISH} on the topic's channel, the channel
	 * its changes travel on; on a Redis Cluster it goes to the master that owns the
	 * channel's slot. Broadcasts of one topic published from one thread keep their order:
	 * they go out on the same connection. Not retried: a broadcast is fire-and-forget.
	 */
	@Override
	public CompletableFuture<Void> broadcast(TopicBroadcast broadcast) {
		Assert.notNull(broadcast, "'broadcast' must not be null");
		RedisConnections connections = running();
		String message = this.codec.writeBroadcast(broadcast);
		return connections.bounded(connections.async().spublish(TopicKeys.of(broadcast.topic()).channel(), message)
			.toCompletableFuture()).thenAccept((receivers) -> {
			});
	}

	@Override
	public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(listener, "'listener' must not be null");
		RedisConnections connections = running();
		String owner = connections.ownerOf(TopicKeys.of(topic).channel());
		return connections.bounded(this.subscriptions.subscribe(connections.pubSub().async(), topic, listener, owner));
	}

	@Override
	public CompletableFuture<Void> unsubscribe(String topic) {
		Assert.notNull(topic, "'topic' must not be null");
		RedisConnections connections = running();
		return connections.bounded(this.subscriptions.unsubscribe(connections.pubSub().async(), topic));
	}

	/**
	 * Add back, with their refs, the entries this node owns in some topics that Redis
	 * lost, and remove those of its entries that it no longer owns.
	 * @param topics the topics
	 * @param reason why, for the log
	 * @return a future of the number of entries added back or removed
	 */
	CompletableFuture<Long> reassert(List<String> topics, String reason) {
		return this.reassertion.reassert(topics, null, reason);
	}

	/**
	 * On a Redis Cluster, read the topology now (a change failed: its master may have died
	 * and a replica taken over), at most every 250ms, and move the subscriptions whose slot
	 * changed owner.
	 */
	private void followTopology() {
		RedisConnections connections = this.connections;
		if (connections != null) {
			connections.followTopology(this.subscriptions);
		}
	}

	private void pubSubReconnected() {
		reassert(this.owned.topics(), "the pub/sub connection reconnected");
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
			RedisConnections connections;
			try {
				connections = RedisConnections.open(this.client, this.subscriptions);
			}
			catch (RedisConnectionException ex) {
				throw new PresenceStoreUnavailableException("The presence store of node '" + this.nodeId
						+ "' cannot connect to Redis: " + ex.getMessage(), ex);
			}
			try {
				loadScripts(connections);
			}
			catch (RuntimeException ex) {
				connections.close(this.subscriptions);
				throw ex;
			}
			this.connections = connections;
			this.heartbeat.start(connections.commands(), connections.timeout());
			logger.info("Presence store of node '" + this.nodeId + "' connected to Redis"
					+ (connections.isCluster() ? " Cluster" : ""));
		}
	}

	private void loadScripts(RedisConnections connections) {
		Duration timeout = connections.timeout();
		try {
			CompletableFuture
				.allOf(this.putScript.script().load(connections.async()),
						this.removeScript.script().load(connections.async()), this.snapshotScript.load(connections.async()),
						this.reassertion.script().load(connections.async()), this.reapScript.script().load(connections.async()))
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
	 * Stop the heartbeat, remove every entry this node owns (their leaves published) and
	 * the node itself from {@code presence:nodes}, waiting at most {@code nodeTimeout},
	 * then end every subscription and close the connections.
	 */
	@Override
	public void stop() {
		disconnect(true);
	}

	/**
	 * Stop beating and close the connections, having removed this node's presences or
	 * left them for the other nodes to reap.
	 */
	private void disconnect(boolean removeOwnPresences) {
		synchronized (this.lifecycleMonitor) {
			RedisConnections connections = this.connections;
			if (connections == null) {
				return;
			}
			// from here on, put and remove fail: nothing can be added behind the clean-up
			this.connections = null;
			this.heartbeat.stop();
			if (removeOwnPresences) {
				removeOwnPresences(connections);
			}
			this.subscriptions.clear();
			connections.close(this.subscriptions);
			if (removeOwnPresences) {
				logger.info("Presence store of node '" + this.nodeId + "' disconnected from Redis");
			}
		}
	}

	private void removeOwnPresences(RedisConnections connections) {
		int presences = this.owned.size();
		List<CompletableFuture<Long>> removals = this.owned
			.removeAll((topic, refs) -> this.removeScript.run(connections.async(), topic, refs));
		try {
			CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
				.thenCompose((removed) -> connections.async().zrem(NODES_KEY, this.nodeId))
				.thenCompose((removed) -> connections.async().del(TopicKeys.nodeTopics(this.nodeId)))
				.toCompletableFuture()
				.get(this.nodeTimeout.toMillis(), TimeUnit.MILLISECONDS);
			logger.info("Node '" + this.nodeId + "' removed its " + presences + " presence(s) in " + removals.size()
					+ " topic(s) and left the cluster");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			logger.warn("Interrupted while node '" + this.nodeId
					+ "' removed its presences; other nodes will reap them");
		}
		catch (ExecutionException | TimeoutException ex) {
			logger.warn("Node '" + this.nodeId + "' could not remove its presences; other nodes will reap them: " + ex);
		}
	}

	/**
	 * Stop as a crashed node would: no more heartbeats, the connections closed, every entry
	 * left in Redis for the other nodes to reap. For tests.
	 */
	void halt() {
		disconnect(false);
	}

	/**
	 * Skip heartbeats, as a node that is frozen or cut off from Redis would, or beat
	 * again. For tests.
	 * @param paused whether to skip heartbeats
	 */
	void pauseHeartbeat(boolean paused) {
		this.heartbeat.setPaused(paused);
	}

	/**
	 * Beat now, besides the scheduled beats. For tests.
	 * @return a future that completes once Redis answered and the node acted on it
	 */
	CompletableFuture<Void> beat() {
		RedisConnections connections = running();
		return this.heartbeat.beat(connections.commands(), connections.timeout());
	}

	@Override
	public boolean isRunning() {
		return this.connections != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private RedisConnections running() {
		RedisConnections connections = this.connections;
		Assert.state(connections != null, "Presence store is not running");
		return connections;
	}

	/**
	 * What the node does about what a heartbeat found.
	 */
	private final class HeartbeatListener implements RedisPresenceHeartbeat.Listener {

		@Override
		public void topicsLost(List<String> topics) {
			reassert(topics, "Redis lost the keys of the topic(s)");
		}

		@Override
		public void nodeAbsent(List<String> topics) {
			if (!topics.isEmpty()) {
				logger.info("Node '" + RedisPresenceStore.this.nodeId
						+ "' was missing from " + NODES_KEY + " (reaped, or Redis lost its data); re-asserting "
						+ topics.size() + " topic(s)");
			}
			reassert(topics, "the node was missing from " + NODES_KEY);
		}

		@Override
		public void beating() {
			RedisConnections connections = RedisPresenceStore.this.connections;
			if (connections != null && connections.isCluster()) {
				RedisPresenceStore.this.subscriptions.followSlotOwners(connections.pubSub().async(),
						connections::ownerOf);
			}
		}

		@Override
		public void historiesWentBack(Map<String, TopicHistory> seen) {
			RedisPresenceStore.this.reassertion.reassert(List.copyOf(seen.keySet()), seen,
					"Redis went back in the topic's history");
		}

		@Override
		public void nodesDead(List<String> nodes) {
			RedisConnections connections = RedisPresenceStore.this.connections;
			if (connections != null) {
				nodes.forEach((node) -> RedisPresenceStore.this.reaper.reap(connections.async(), node));
			}
		}

	}

}
