package dev.presence.websocket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.ClientBroadcastEvent;
import dev.presence.core.LogValues;
import tools.jackson.databind.JsonNode;

/**
 * The {@code broadcast} pushes of one connection's channels (docs/protocol.md §8), as
 * text under either version or as binary user broadcast pushes under 2.0.0: checked,
 * held to the connection's limits, and published to the topic's members on every node
 * with one store publish.
 * <p>
 * The publish is not waited for before the connection's next frame: the store keeps the
 * order of one connection's publishes, so broadcasts of one sender reach every member in
 * the order they were sent. With {@code config.broadcast.ack} the client is answered
 * {@code ok} once the store took the broadcast; a refused broadcast is always answered
 * with an error reply (supabase-js ignores a reply it does not wait for).
 */
final class ChannelBroadcasts {

	private static final Log logger = LogFactory.getLog(ChannelBroadcasts.class);

	/** The most bytes of UTF-8 an event name may take: the binary frames' length field. */
	static final int MAX_EVENT_BYTES = BinaryBroadcastFrames.MAX_FIELD;

	private final PhoenixConnection connection;

	private final ConnectionServices services;

	private final PhoenixMessages messages;

	// touched only by the frame handling
	private final FixedWindowCounter sent = new FixedWindowCounter(TimeUnit.SECONDS.toNanos(1));

	ChannelBroadcasts(PhoenixConnection connection, ConnectionServices services) {
		this.connection = connection;
		this.services = services;
		this.messages = services.messages();
	}

	/**
	 * A broadcast sent as text: the payload is {@code {type, event, payload}}.
	 */
	CompletableFuture<Void> receive(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode event = frame.payload().get("event");
		if (event == null || !event.isString() || event.asString().isEmpty()) {
			return refuse(channel, frame.ref(), "malformed", "InvalidBroadcast: event must be a non-empty string");
		}
		JsonNode payload = frame.payload().get("payload");
		BroadcastPayload encoded = (payload == null) ? BroadcastPayload.emptyObject()
				: BroadcastPayload.ofJson(this.messages.json(payload));
		return send(channel, frame.ref(), event.asString(), encoded);
	}

	/**
	 * A broadcast: checked against the channel's rights and the limits, then published.
	 */
	CompletableFuture<Void> send(PhoenixChannel channel, @Nullable String ref, String event,
			BroadcastPayload payload) {
		ChannelLimits limits = this.services.limits();
		if (this.sent.increment(System.nanoTime()) > limits.maxBroadcastsPerSecond()) {
			this.services.monitor().frameRejected("broadcast-rate");
			return this.connection.shutDown(channel, "Too many messages per second");
		}
		if (!channel.broadcastSendAllowed()) {
			return refuse(channel, ref, "broadcast-unauthorized",
					"Unauthorized: You do not have permissions to write to this Channel topic: "
							+ PhoenixChannel.channelName(channel.topic()));
		}
		if (event.isEmpty()) {
			return refuse(channel, ref, "malformed", "InvalidBroadcast: event must be a non-empty string");
		}
		if (event.getBytes(StandardCharsets.UTF_8).length > MAX_EVENT_BYTES) {
			return refuse(channel, ref, "malformed",
					"InvalidBroadcast: event names are limited to " + MAX_EVENT_BYTES + " bytes");
		}
		if (payload.size() > limits.maxBroadcastPayloadBytes()) {
			return refuse(channel, ref, "broadcast-too-large", "payload_size_exceeded: Broadcast payloads are "
					+ "limited to " + limits.maxBroadcastPayloadBytes() + " bytes");
		}
		String sender = null;
		if (!channel.broadcastSelf()) {
			sender = channel.senderId();
			if (sender == null) {
				sender = this.services.topics().newPresenceKey();
				channel.senderId(sender);
			}
		}
		CompletableFuture<Void> published;
		try {
			published = this.services.topics().broadcast(channel.storeTopic(), event, payload, sender);
		}
		catch (RuntimeException ex) {
			published = CompletableFuture.failedFuture(ex);
		}
		published.whenComplete((done, ex) -> {
			if (ex != null) {
				logger.warn("Broadcast to " + LogValues.quote(channel.topic()) + " from connection "
						+ this.connection.id() + " failed: " + ex);
				this.connection.send(this.messages.error(channel.joinRef(), ref, channel.topic(),
						"BroadcastUnavailable: the broadcast could not be sent"));
				return;
			}
			if (channel.broadcastAck()) {
				this.connection.send(this.messages.ok(channel.joinRef(), ref, channel.topic()));
			}
			this.services.broadcastReceived()
				.accept(new ClientBroadcastEvent(channel.storeTopic(), event, payload, channel.key(),
						channel.identity().name()));
		});
		return PhoenixConnection.DONE;
	}

	private CompletableFuture<Void> refuse(PhoenixChannel channel, @Nullable String ref, String why, String reason) {
		this.services.monitor().frameRejected(why);
		this.connection.send(this.messages.error(channel.joinRef(), ref, channel.topic(), reason));
		return PhoenixConnection.DONE;
	}

}
