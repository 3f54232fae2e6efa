package dev.presence.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.presence.core.LogValues;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.BooleanOutput;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.ValueListOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The node's heartbeat: the periodic refresh of the keys of the topics this node holds
 * entries in, of its set of topics and of its score in {@code presence:nodes}, and the
 * look-out for what Redis lost and for dead nodes.
 * <p>
 * One beat is a single batch of commands written to Redis with one flush, so it costs one
 * round trip however many topics the node holds. Its answers tell the node which topics
 * Redis lost ({@code PEXPIRE} of the entries hash answered 0), whether the node itself was
 * missing from {@code presence:nodes} (it was reaped, or Redis lost everything) and which
 * nodes stopped beating; the {@link Listener} acts on them. Beats run on one thread named
 * {@code presence-heartbeat}.
 * <p>
 * A node that could not beat for a while (a beat failed or was answered late: Redis
 * unreachable, a failover under way) tells the listener of no dead node until it has had
 * a node timeout of answered beats: the other nodes could not beat either, and their old
 * scores are the outage's, not their death's. A live node is never reaped because Redis
 * was away.
 * <p>
 * Scores are this node's clock ({@link Clock#millis()}), and the cutoff of dead nodes is
 * read on the same clock: the nodes' clocks must agree to well within the node timeout
 * (NTP does), which saves asking Redis for {@code TIME} on every beat.
 */
final class RedisPresenceHeartbeat {

	private static final Log logger = LogFactory.getLog(RedisPresenceHeartbeat.class);

	private static final StringCodec CODEC = StringCodec.UTF8;

	private final String nodeId;

	private final String topicsKey;

	private final Duration interval;

	private final long timeToLiveMillis;

	private final long nodeTimeoutMillis;

	private final Clock clock;

	private final RedisOwnedPresences owned;

	private final Listener listener;

	private final Supplier<Map<String, TopicHistory>> watched;

	private volatile boolean paused;

	/** When the last beat that Redis answered was sent, {@code 0} before the first. */
	private long lastAnswered;

	/** Whether a beat failed since {@link #lastAnswered}. */
	private boolean failedSinceAnswered;

	/**
	 * Since when this node's view of the other nodes' heartbeats is fresh: the first
	 * answered beat after a failed one, or after a gap in the beats.
	 */
	private long viewFreshSince;

	/** Whether the node holds back its reaps until its view is fresh again, for the log. */
	private boolean holdingReaps;

	private @Nullable ScheduledExecutorService scheduler;

	RedisPresenceHeartbeat(String nodeId, Duration interval, Duration timeToLive, Duration nodeTimeout, Clock clock,
			RedisOwnedPresences owned, Supplier<Map<String, TopicHistory>> watched, Listener listener) {
		this.watched = watched;
		this.nodeId = nodeId;
		this.topicsKey = TopicKeys.nodeTopics(nodeId);
		this.interval = interval;
		this.timeToLiveMillis = timeToLive.toMillis();
		this.nodeTimeoutMillis = nodeTimeout.toMillis();
		this.clock = clock;
		this.owned = owned;
		this.listener = listener;
	}

	/**
	 * Beat now and then every interval, until {@link #stop()}.
	 * @param connection the command connection
	 * @param timeout how long one beat may take
	 */
	synchronized void start(StatefulConnection<String, String> connection, Duration timeout) {
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "presence-heartbeat");
			thread.setDaemon(true);
			return thread;
		});
		scheduler.scheduleWithFixedDelay(() -> {
			if (!this.paused) {
				try {
					this.listener.beating();
				}
				catch (RuntimeException ex) {
					logger.warn("Presence node '" + this.nodeId + "' failed to act before a beat", ex);
				}
				try {
					beat(connection, timeout);
				}
				catch (RuntimeException ex) {
					// a scheduled task that throws is never run again: this node would look dead
					logger.warn("Presence heartbeat of node '" + this.nodeId + "' failed, trying again next beat", ex);
				}
			}
		}, 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
		this.scheduler = scheduler;
	}

	synchronized void stop() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
			this.scheduler = null;
		}
	}

	/**
	 * Skip beats, as a node frozen or cut off from Redis would, or beat again.
	 * @param paused whether to skip beats
	 */
	void setPaused(boolean paused) {
		this.paused = paused;
	}

	/**
	 * Beat once, in one batch:
	 * <pre class="code">
	 * PEXPIRE presence:{T}:e ttl          -- for each topic T this node holds entries in
	 * PEXPIRE presence:{T}:s ttl
	 * SREM presence:node:{N}:topics T...  -- topics emptied since the last beat, if any
	 * SADD presence:node:{N}:topics T...  -- every topic it holds entries in, if any
	 * PEXPIRE presence:node:{N}:topics ttl
	 * ZADD presence:nodes now N
	 * PEXPIRE presence:nodes ttl
	 * ZRANGEBYSCORE presence:nodes -inf (now-nodeTimeout
	 * </pre>
	 * @param connection the command connection
	 * @param timeout how long the beat may take
	 * @return a future that completes once Redis has answered and the listener was told
	 */
	CompletableFuture<Void> beat(StatefulConnection<String, String> connection, Duration timeout) {
		try {
			long now = this.clock.millis();
			Beat beat = this.owned.withTopics((topics) -> {
				Set<String> dropped = this.owned.drainDropped();
				Beat dispatched = new Beat(topics, now, this.watched.get());
				dispatched.histories.forEach((topic, command) -> dispatched.batch.add(command));
				for (String topic : topics) {
					TopicKeys keys = TopicKeys.of(topic);
					AsyncCommand<String, String, Boolean> expireEntries = pexpire(keys.entries());
					dispatched.expired.add(expireEntries);
					dispatched.batch.add(expireEntries);
					dispatched.batch.add(pexpire(keys.sequence()));
				}
				if (!dropped.isEmpty()) {
					dispatched.batch.add(command(CommandType.SREM, new IntegerOutput<>(CODEC),
							new CommandArgs<>(CODEC).addKey(this.topicsKey).addValues(dropped)));
				}
				if (!topics.isEmpty()) {
					dispatched.batch.add(command(CommandType.SADD, new IntegerOutput<>(CODEC),
							new CommandArgs<>(CODEC).addKey(this.topicsKey).addValues(topics)));
				}
				dispatched.batch.add(pexpire(this.topicsKey));
				dispatched.batch.add(dispatched.added);
				dispatched.batch.add(pexpire(RedisPresenceStore.NODES_KEY));
				dispatched.batch.add(dispatched.dead);
				connection.dispatch(dispatched.batch);
				return dispatched;
			});
			return CompletableFuture.allOf(beat.batch.toArray(CompletableFuture[]::new))
				.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
				.thenRun(() -> tell(beat))
				.whenComplete((result, ex) -> {
					if (ex != null) {
						failed();
						logger.warn("Heartbeat of node '" + this.nodeId + "' failed: " + ex);
					}
					else if (logger.isDebugEnabled()) {
						logger.debug("Heartbeat of node '" + this.nodeId + "' refreshed " + beat.topics.size()
								+ " topic(s)");
					}
				});
		}
		catch (RuntimeException ex) {
			// an exception would end the scheduled beats for good
			failed();
			logger.warn("Heartbeat of node '" + this.nodeId + "' failed: " + ex);
			return CompletableFuture.failedFuture(ex);
		}
	}

	private void tell(Beat beat) {
		if (Long.valueOf(1).equals(beat.added.join())) {
			this.listener.nodeAbsent(beat.topics);
		}
		else {
			List<String> lost = new ArrayList<>();
			for (int i = 0; i < beat.topics.size(); i++) {
				if (Boolean.FALSE.equals(beat.expired.get(i).join())) {
					lost.add(beat.topics.get(i));
				}
			}
			if (!lost.isEmpty()) {
				this.listener.topicsLost(lost);
			}
		}
		Map<String, TopicHistory> wentBack = new HashMap<>();
		beat.histories.forEach((topic, command) -> {
			List<String> stored = command.join();
			String epoch = stored.get(0);
			long sequence = (stored.get(1) != null) ? Long.parseLong(stored.get(1)) : 0;
			TopicHistory seen = beat.seen.get(topic);
			if (epoch != null && seen.wentBack(epoch, sequence)) {
				logger.warn("Topic " + LogValues.quote(topic) + " went back in Redis from change " + seen.sequence()
						+ " to " + sequence + " of its history (a failover lost writes); renewing it");
				wentBack.put(topic, seen);
			}
		});
		if (!wentBack.isEmpty()) {
			this.listener.historiesWentBack(wentBack);
		}
		List<String> dead = new ArrayList<>(beat.dead.join());
		dead.remove(this.nodeId);
		if (mayReap(beat.now, this.clock.millis()) && !dead.isEmpty()) {
			this.listener.nodesDead(dead);
		}
	}

	private synchronized void failed() {
		this.failedSinceAnswered = true;
	}

	/**
	 * Whether the other nodes' heartbeats as this beat read them can be trusted to say who
	 * is dead. When this node could not beat for a while (Redis unreachable, a failover,
	 * this JVM frozen), the others most likely could not either: their scores are as old
	 * as the outage, not a sign of death. So after a failed beat, a beat answered late, or a
	 * gap between answered beats (each of more than half the node timeout, and two
	 * intervals), the node waits a full node timeout of answered beats, in which every live
	 * node writes a fresh score, before it reaps.
	 * @param now when the beat was sent
	 * @param answered when its answer came
	 * @return whether the dead nodes the beat found may be reaped
	 */
	private synchronized boolean mayReap(long now, long answered) {
		long outage = Math.max(2 * this.interval.toMillis(), this.nodeTimeoutMillis / 2);
		if (this.lastAnswered == 0 && answered - now <= outage) {
			// the first beat: connecting took a working Redis, and the others' scores are theirs
			this.viewFreshSince = now - this.nodeTimeoutMillis;
		}
		else if (this.failedSinceAnswered || answered - now > outage || now - this.lastAnswered > outage) {
			this.viewFreshSince = answered;
		}
		this.lastAnswered = Math.max(this.lastAnswered, now);
		this.failedSinceAnswered = false;
		boolean fresh = now - this.viewFreshSince >= this.nodeTimeoutMillis;
		if (!fresh && !this.holdingReaps) {
			logger.info("Node '" + this.nodeId + "' could not beat for a while; it reaps no node before "
					+ this.nodeTimeoutMillis + "ms of answered heartbeats, so that live nodes can beat again");
		}
		else if (fresh && this.holdingReaps) {
			logger.info("Node '" + this.nodeId + "' has a fresh view of the other nodes' heartbeats again");
		}
		this.holdingReaps = !fresh;
		return fresh;
	}

	private AsyncCommand<String, String, Boolean> pexpire(String key) {
		return command(CommandType.PEXPIRE, new BooleanOutput<>(CODEC),
				new CommandArgs<>(CODEC).addKey(key).add(this.timeToLiveMillis));
	}

	private static <T> AsyncCommand<String, String, T> command(CommandType type, CommandOutput<String, String, T> output,
			CommandArgs<String, String> args) {
		return new AsyncCommand<>(new Command<>(type, output, args));
	}

	/**
	 * The commands of one beat whose answers matter.
	 */
	private final class Beat {

		final List<String> topics;

		final List<AsyncCommand<String, String, ?>> batch;

		final List<AsyncCommand<String, String, Boolean>> expired;

		final AsyncCommand<String, String, Long> added;

		final AsyncCommand<String, String, List<String>> dead;

		final long now;

		/** What this node had seen of the topics it follows when the beat was sent. */
		final Map<String, TopicHistory> seen;

		final Map<String, AsyncCommand<String, String, List<String>>> histories = new HashMap<>();

		Beat(List<String> topics, long now, Map<String, TopicHistory> seen) {
			this.topics = topics;
			this.now = now;
			this.seen = seen;
			seen.keySet().forEach((topic) -> this.histories.put(topic, command(CommandType.HMGET,
					new ValueListOutput<>(CODEC), new CommandArgs<>(CODEC).addKey(TopicKeys.of(topic).sequence())
						.add("epoch")
						.add("seq"))));
			this.batch = new ArrayList<>(topics.size() * 2 + 8);
			this.expired = new ArrayList<>(topics.size());
			this.added = command(CommandType.ZADD, new IntegerOutput<>(CODEC),
					new CommandArgs<>(CODEC).addKey(RedisPresenceStore.NODES_KEY).add(now).addValue(nodeId));
			this.dead = command(CommandType.ZRANGEBYSCORE, new ValueListOutput<>(CODEC),
					new CommandArgs<>(CODEC).addKey(RedisPresenceStore.NODES_KEY)
						.add("-inf")
						.add("(" + (now - nodeTimeoutMillis)));
		}

	}

	/**
	 * What the node does about what a beat found.
	 */
	interface Listener {

		/**
		 * A scheduled beat is about to be sent: the time to check what the node keeps up
		 * with at the pace of its heartbeat.
		 */
		void beating();

		/**
		 * Redis no longer holds these topics (flushed, restarted, expired): re-assert them.
		 * @param topics the topics
		 */
		void topicsLost(List<String> topics);

		/**
		 * This node was missing from {@code presence:nodes}: it was reaped while it did not
		 * beat, or Redis lost everything. Re-assert every topic.
		 * @param topics the topics this node holds entries in
		 */
		void nodeAbsent(List<String> topics);

		/**
		 * These nodes have not beaten within the node timeout.
		 * @param nodes the ids of the nodes, never this node's
		 */
		void nodesDead(List<String> nodes);

		/**
		 * These topics went backwards in Redis: same epoch, a lower sequence number than
		 * this node saw (the replica promoted in a failover missed the last writes).
		 * @param seen each topic with what this node had seen of it
		 */
		void historiesWentBack(Map<String, TopicHistory> seen);

	}

}
