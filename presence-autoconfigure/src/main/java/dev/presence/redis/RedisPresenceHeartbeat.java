package dev.presence.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.BooleanOutput;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The node's heartbeat: which refs this node holds in which topic, and the periodic
 * refresh of the time to live of those topics' keys and of the node's entry in
 * {@code presence:nodes}.
 * <p>
 * One beat is a single batch of commands written to Redis with one flush, so it costs one
 * round trip however many topics the node holds. Beats run on one thread named
 * {@code presence-heartbeat}.
 */
final class RedisPresenceHeartbeat {

	private static final Log logger = LogFactory.getLog(RedisPresenceHeartbeat.class);

	private static final StringCodec CODEC = StringCodec.UTF8;

	private final String nodeId;

	private final Duration interval;

	private final long timeToLiveMillis;

	private final Clock clock;

	/**
	 * Topic to the refs this node put there. A set is only ever touched inside
	 * {@code compute}, so it needs no lock of its own.
	 */
	private final ConcurrentMap<String, Set<String>> refsByTopic = new ConcurrentHashMap<>();

	private @Nullable ScheduledExecutorService scheduler;

	RedisPresenceHeartbeat(String nodeId, Duration interval, Duration timeToLive, Clock clock) {
		this.nodeId = nodeId;
		this.interval = interval;
		this.timeToLiveMillis = timeToLive.toMillis();
		this.clock = clock;
	}

	/**
	 * Record that this node holds {@code ref} in {@code topic}, and no longer
	 * {@code replacedRef}.
	 * @param topic the topic
	 * @param ref the ref put
	 * @param replacedRef the ref it replaced, or {@code null}
	 */
	void own(String topic, String ref, @Nullable String replacedRef) {
		this.refsByTopic.compute(topic, (key, refs) -> {
			Set<String> owned = (refs != null) ? refs : new HashSet<>();
			if (replacedRef != null) {
				owned.remove(replacedRef);
			}
			owned.add(ref);
			return owned;
		});
	}

	/**
	 * Record that this node no longer holds {@code ref} in {@code topic}.
	 * @param topic the topic
	 * @param ref the ref removed
	 */
	void disown(String topic, String ref) {
		this.refsByTopic.computeIfPresent(topic, (key, refs) -> {
			refs.remove(ref);
			return refs.isEmpty() ? null : refs;
		});
	}

	/**
	 * The topics this node holds entries in.
	 * @return a snapshot of the topics
	 */
	Set<String> topics() {
		return Set.copyOf(this.refsByTopic.keySet());
	}

	/**
	 * Beat now and then every interval, until {@link #stop()}.
	 * @param connection the command connection
	 * @param timeout how long one beat may take
	 */
	synchronized void start(StatefulRedisConnection<String, String> connection, Duration timeout) {
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "presence-heartbeat");
			thread.setDaemon(true);
			return thread;
		});
		scheduler.scheduleWithFixedDelay(() -> beat(connection, timeout), 0, this.interval.toMillis(),
				TimeUnit.MILLISECONDS);
		this.scheduler = scheduler;
	}

	synchronized void stop() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
			this.scheduler = null;
		}
	}

	/**
	 * Refresh the time to live of every topic this node holds entries in, and the node's
	 * heartbeat, in one batch: {@code PEXPIRE} of both keys of each topic,
	 * {@code ZADD presence:nodes <now> <node>} and {@code PEXPIRE presence:nodes}.
	 * @param connection the command connection
	 * @param timeout how long the beat may take
	 * @return a future that completes once Redis has answered every command
	 */
	CompletableFuture<Void> beat(StatefulRedisConnection<String, String> connection, Duration timeout) {
		try {
			Set<String> topics = topics();
			List<AsyncCommand<String, String, ?>> batch = new ArrayList<>(topics.size() * 2 + 2);
			for (String topic : topics) {
				TopicKeys keys = TopicKeys.of(topic);
				batch.add(pexpire(keys.entries()));
				batch.add(pexpire(keys.sequence()));
			}
			batch.add(new AsyncCommand<>(new Command<>(CommandType.ZADD, new IntegerOutput<>(CODEC),
					new CommandArgs<>(CODEC).addKey(RedisPresenceStore.NODES_KEY)
						.add(this.clock.millis())
						.addValue(this.nodeId))));
			batch.add(pexpire(RedisPresenceStore.NODES_KEY));
			connection.dispatch(batch);
			return CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new))
				.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
				.whenComplete((result, ex) -> {
					if (ex != null) {
						logger.warn("Heartbeat of node '" + this.nodeId + "' failed: " + ex);
					}
					else if (logger.isDebugEnabled()) {
						logger.debug("Heartbeat of node '" + this.nodeId + "' refreshed " + topics.size()
								+ " topic(s)");
					}
				});
		}
		catch (RuntimeException ex) {
			// an exception would end the scheduled beats for good
			logger.warn("Heartbeat of node '" + this.nodeId + "' failed: " + ex);
			return CompletableFuture.failedFuture(ex);
		}
	}

	private AsyncCommand<String, String, Boolean> pexpire(String key) {
		RedisCommand<String, String, Boolean> command = new Command<>(CommandType.PEXPIRE,
				new BooleanOutput<>(CODEC), new CommandArgs<>(CODEC).addKey(key).add(this.timeToLiveMillis));
		return new AsyncCommand<>(command);
	}

}
