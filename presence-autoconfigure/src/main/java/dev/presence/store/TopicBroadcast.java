package dev.presence.store;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import dev.presence.core.BroadcastPayload;

/**
 * A broadcast on its way to every member of a topic, on every node: fire-and-forget,
 * never stored, and outside the topic's sequence of presence changes.
 *
 * @param topic the store topic
 * @param event the client-facing event name
 * @param payload the payload
 * @param origin the id of the node it was sent on
 * @param sender the sending channel, for the members to leave out when it did not ask
 * for its own broadcasts; {@code null} when every member receives it (server-side
 * broadcasts, or a sender that asked for its own)
 */
public record TopicBroadcast(String topic, String event, BroadcastPayload payload, String origin,
		@Nullable String sender) {

	public TopicBroadcast {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(event, "'event' must not be null");
		Assert.notNull(payload, "'payload' must not be null");
		Assert.notNull(origin, "'origin' must not be null");
	}

}
