package dev.presence.core;

import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * Send broadcasts from server-side code to the clients of a topic on every node, as
 * {@code channel.send({type: 'broadcast', event, payload})} sends them from a client:
 * every member of the topic that listens with
 * {@code channel.on('broadcast', {event}, callback)} receives it. Broadcasts are
 * fire-and-forget: nothing is kept, a client that joins later does not see earlier ones.
 * Broadcasts sent from one thread to one topic arrive in the order they were sent.
 * <p>
 * Topics are named as in {@link PresenceService}: {@code realtime:room_01} for the public
 * channel {@code room_01}, {@code private:realtime:room_01} for the private one.
 */
public interface BroadcastService {

	/**
	 * Send a broadcast.
	 * @param topic the topic, e.g. {@code realtime:room_01}
	 * @param event the event clients filter on, e.g. {@code cursor-pos}
	 * @param payload the payload: any value Jackson writes as JSON, or a
	 * {@link BroadcastPayload}
	 * @return a future that completes once the broadcast is on its way to every node, or
	 * completes exceptionally with a {@link PresenceException} when the store did not take
	 * it
	 * @throws IllegalArgumentException when the payload cannot be written as JSON, or the
	 * topic or event is not one clients can receive
	 */
	CompletableFuture<Void> send(String topic, String event, @Nullable Object payload);

}
