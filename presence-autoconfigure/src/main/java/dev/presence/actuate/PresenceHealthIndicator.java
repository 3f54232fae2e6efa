package dev.presence.actuate;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.util.Assert;

import dev.presence.engine.PresenceTopics;
import dev.presence.store.PresenceStore;

/**
 * Reports whether the presence store answers: UP when a snapshot of a probe topic (one cheap
 * read, it writes nothing) comes back within the timeout, DOWN with the failure otherwise.
 * Either way the details carry the node id, the topics it follows and its open connections.
 */
public class PresenceHealthIndicator extends AbstractHealthIndicator {

	/** The topic read to probe the store; no client can join it (it lacks the {@code realtime:} prefix). */
	static final String PROBE_TOPIC = "presence:health";

	private final PresenceStore store;

	private final PresenceTopics topics;

	private final Duration timeout;

	private final @Nullable IntSupplier connections;

	/**
	 * Create an indicator.
	 * @param store the store to probe
	 * @param topics the node's topics
	 * @param timeout how long the store may take to answer before the node is reported DOWN
	 * @param connections the number of open WebSocket connections, or {@code null} when this
	 * node serves no WebSocket endpoint
	 */
	public PresenceHealthIndicator(PresenceStore store, PresenceTopics topics, Duration timeout,
			@Nullable IntSupplier connections) {
		super("Presence health check failed");
		Assert.notNull(store, "'store' must not be null");
		Assert.notNull(topics, "'topics' must not be null");
		Assert.isTrue(!timeout.isNegative() && !timeout.isZero(), "'timeout' must be positive");
		this.store = store;
		this.topics = topics;
		this.timeout = timeout;
		this.connections = connections;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) throws Exception {
		builder.withDetail("nodeId", this.topics.nodeId())
			.withDetail("store", this.store.getClass().getSimpleName())
			.withDetail("topics", this.topics.topics().size());
		if (this.connections != null) {
			builder.withDetail("connections", this.connections.getAsInt());
		}
		try {
			this.store.snapshot(PROBE_TOPIC).get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
			builder.up();
		}
		catch (ExecutionException ex) {
			builder.down(ex.getCause() != null ? ex.getCause() : ex);
		}
		catch (TimeoutException ex) {
			builder.down().withDetail("error", "The store did not answer within " + this.timeout.toMillis() + " ms");
		}
	}

}
