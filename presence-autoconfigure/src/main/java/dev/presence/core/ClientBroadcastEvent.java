package dev.presence.core;

import org.jspecify.annotations.Nullable;

/**
 * A client sent a broadcast, and this node accepted it. Published only on the node the
 * client is connected to, and only when {@code presence.events.client-broadcasts} is
 * enabled: a broadcast is usually a cursor move or a typing indicator, too many to be
 * events by default.
 *
 * @param topic the topic, as in {@link PresenceService} (e.g. {@code realtime:room_01},
 * {@code private:realtime:room_01})
 * @param event the client's event name
 * @param payload what it carried
 * @param key the presence key of the sender's channel
 * @param senderName the name of the identity the sender authenticated as, or
 * {@code null} for an anonymous client
 */
public record ClientBroadcastEvent(String topic, String event, BroadcastPayload payload, String key,
		@Nullable String senderName) {
}
