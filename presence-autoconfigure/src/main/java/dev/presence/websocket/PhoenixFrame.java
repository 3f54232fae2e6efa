package dev.presence.websocket;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import tools.jackson.databind.JsonNode;

/**
 * One Phoenix Channels message, whatever serializer carried it.
 *
 * @param joinRef the join ref of the channel the message belongs to, or {@code null}
 * @param ref the ref of this message (echoed in its reply), or {@code null}
 * @param topic the topic, e.g. {@code realtime:room_01} or {@code phoenix}
 * @param event the event, e.g. {@code phx_join}, {@code presence}, {@code phx_reply}
 * @param payload the payload, a JSON object
 */
public record PhoenixFrame(@Nullable String joinRef, @Nullable String ref, String topic, String event,
		JsonNode payload) {

	public PhoenixFrame {
		Assert.notNull(topic, "'topic' must not be null");
		Assert.notNull(event, "'event' must not be null");
		Assert.notNull(payload, "'payload' must not be null");
	}

}
