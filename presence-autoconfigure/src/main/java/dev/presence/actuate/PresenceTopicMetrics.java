package dev.presence.actuate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.util.Assert;

import dev.presence.core.PresenceCount;
import dev.presence.engine.PresenceTopics;

/**
 * Gauges of what this node follows: {@code presence.topics}, the topics it holds a replica
 * of, and {@code presence.presences}, the presences in those replicas (members on every
 * node, not only this one's).
 */
public class PresenceTopicMetrics implements MeterBinder {

	private final PresenceTopics topics;

	/**
	 * Create the gauges' binder.
	 * @param topics the node's topics
	 */
	public PresenceTopicMetrics(PresenceTopics topics) {
		Assert.notNull(topics, "'topics' must not be null");
		this.topics = topics;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder("presence.topics", this.topics, (topics) -> topics.topics().size())
			.description("Topics this node follows")
			.baseUnit("topics")
			.register(registry);
		Gauge.builder("presence.presences", this, PresenceTopicMetrics::presences)
			.description("Presences in the topics this node follows")
			.baseUnit("presences")
			.register(registry);
	}

	private double presences() {
		int presences = 0;
		for (String topic : this.topics.topics()) {
			PresenceCount count = this.topics.followedCount(topic);
			if (count != null) {
				presences += count.presences();
			}
		}
		return presences;
	}

}
