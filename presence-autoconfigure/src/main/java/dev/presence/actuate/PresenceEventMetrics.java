package dev.presence.actuate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.context.event.EventListener;
import org.springframework.util.Assert;

import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;

/**
 * Counts the presence events this node publishes: {@code presence.joins} and
 * {@code presence.leaves}, one per joined or left presence. Every node following a topic
 * sees its changes, so each counter is tagged {@code origin}: summed over the cluster,
 * {@code origin=true} counts each change once. Nothing is counted while
 * {@code presence.events.enabled} is false.
 */
public class PresenceEventMetrics {

	private final Counter originJoins;

	private final Counter replicatedJoins;

	private final Counter originLeaves;

	private final Counter replicatedLeaves;

	/**
	 * Create the counters in a registry.
	 * @param registry the registry
	 */
	public PresenceEventMetrics(MeterRegistry registry) {
		Assert.notNull(registry, "'registry' must not be null");
		this.originJoins = joins(registry, true);
		this.replicatedJoins = joins(registry, false);
		this.originLeaves = leaves(registry, true);
		this.replicatedLeaves = leaves(registry, false);
	}

	@EventListener
	void onJoin(PresenceJoinEvent event) {
		(event.origin() ? this.originJoins : this.replicatedJoins).increment(event.newPresences().size());
	}

	@EventListener
	void onLeave(PresenceLeaveEvent event) {
		(event.origin() ? this.originLeaves : this.replicatedLeaves).increment(event.leftPresences().size());
	}

	private static Counter joins(MeterRegistry registry, boolean origin) {
		return Counter.builder("presence.joins")
			.description("Presences joined in the topics this node follows")
			.baseUnit("presences")
			.tag("origin", String.valueOf(origin))
			.register(registry);
	}

	private static Counter leaves(MeterRegistry registry, boolean origin) {
		return Counter.builder("presence.leaves")
			.description("Presences left in the topics this node follows")
			.baseUnit("presences")
			.tag("origin", String.valueOf(origin))
			.register(registry);
	}

}
