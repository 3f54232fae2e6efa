package dev.presence.websocket;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;
import dev.presence.core.Presence;
import dev.presence.core.PresenceLimitExceededException;
import dev.presence.core.PresenceState;
import dev.presence.engine.TopicReplica;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code presence} pushes of one connection's channels: track and untrack with the
 * semantics of docs/protocol.md §3.3, and their limits.
 * <p>
 * Rather than closing a channel at the sixth message in 30 s as Supabase does, re-tracks
 * that follow the last stored one within the coalesce window are answered at once and
 * merged: the last state wins and is stored once when the window ends. Only past a hard
 * ceiling of presence messages per window is the channel closed, with the
 * {@code system} message {@code "Client presence rate limit exceeded"}.
 */
final class ChannelTracking {

	private static final Log logger = LogFactory.getLog(ChannelTracking.class);

	private static final String PHX_REF = "phx_ref";

	private static final String PHX_REF_PREV = "phx_ref_prev";

	private static final String UNAVAILABLE = "PresenceUnavailable: the presence store cannot be reached";

	private final PhoenixConnection connection;

	private final ConnectionServices services;

	private final PhoenixMessages messages;

	ChannelTracking(PhoenixConnection connection, ConnectionServices services) {
		this.connection = connection;
		this.services = services;
		this.messages = services.messages();
	}

	CompletableFuture<Void> presence(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode event = frame.payload().get("event");
		if (event == null || event.isNull()) {
			// Supabase answers ok and does nothing, and does not count it (docs/protocol.md §3.2)
			reply(channel, frame, null);
			return PhoenixConnection.DONE;
		}
		ChannelLimits limits = this.services.limits();
		if (channel.countMessage(System.nanoTime()) > limits.maxPresenceMessages()) {
			this.services.monitor().frameRejected("presence-rate");
			return this.connection.shutDown(channel, "Client presence rate limit exceeded");
		}
		String name = event.isString() ? event.asString().toLowerCase(Locale.ROOT) : "";
		switch (name) {
			case "track":
				return track(channel, frame);
			case "untrack":
				return untrack(channel, frame);
			default:
				this.services.monitor().frameRejected("unknown-event");
				reply(channel, frame, "unknown presence event: " + event);
				return PhoenixConnection.DONE;
		}
	}

	private CompletableFuture<Void> track(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode payload = frame.payload().get("payload");
		if (payload == null || payload.isNull()) {
			payload = this.messages.mapper().createObjectNode();
		}
		if (!payload.isObject()) {
			this.services.monitor().frameRejected("invalid-payload");
			reply(channel, frame, "Presence track payload must be a map");
			return PhoenixConnection.DONE;
		}
		if (payload.has(PHX_REF) || payload.has(PHX_REF_PREV)) {
			// the server owns a meta's refs: a client's own would reach every other member
			// as if the server had said them
			payload = ((ObjectNode) payload).deepCopy().remove(List.of(PHX_REF, PHX_REF_PREV));
		}
		// encoded once, here: these bytes are what the store keeps and every frame shows
		PresenceState state = PresenceState.of(payload);
		if (state.size() > this.services.limits().maxStateBytes()) {
			this.services.monitor().frameRejected("state-too-large");
			return this.connection.shutDown(channel, "Track message size exceeded");
		}
		if (!this.services.authorizer()
			.canTrack(channel.identity(), channel.topic(), channel.key(), new ParsedOnDemand(state))) {
			this.services.monitor().frameRejected("track-refused");
			reply(channel, frame, "Unauthorized: You do not have permission to track presence in this topic");
			return PhoenixConnection.DONE;
		}
		Presence current = channel.presence();
		@Nullable PresenceState latest = (channel.pendingState() != null) ? channel.pendingState()
				: (current != null) ? current.encodedState() : null;
		if (state.equals(latest)) {
			reply(channel, frame, null);
			enablePresence(channel);
			return PhoenixConnection.DONE;
		}
		int maxConnectionState = this.services.limits().maxConnectionStateBytes();
		if (this.connection.trackedStateBytes() - channel.trackedStateBytes() + state.size() > maxConnectionState) {
			this.services.monitor().frameRejected("connection-state-full");
			reply(channel, frame, "TrackedStateLimitReached: The presences tracked on this connection would exceed "
					+ maxConnectionState + " bytes of state");
			return PhoenixConnection.DONE;
		}
		if (current == null && isTopicFull(channel)) {
			this.services.monitor().frameRejected("topic-full");
			reply(channel, frame, "TooManyPresences: This topic holds the maximum number of presences");
			return PhoenixConnection.DONE;
		}
		Duration window = this.services.limits().trackCoalesceWindow();
		long sinceLastWrite = System.nanoTime() - channel.lastWriteNanos();
		if (current != null && sinceLastWrite < window.toNanos()) {
			channel.pendingState(state);
			reply(channel, frame, null);
			enablePresence(channel);
			if (!channel.flushScheduled()) {
				channel.flushScheduled(true);
				this.connection.enqueueAfter(Duration.ofNanos(window.toNanos() - sinceLastWrite),
						() -> storePending(channel));
			}
			return PhoenixConnection.DONE;
		}
		channel.pendingState(null);
		return store(channel, state).handle((presence, ex) -> {
			PresenceLimitExceededException refused = (ex != null) ? limitExceeded(ex) : null;
			if (refused != null) {
				this.services.monitor().frameRejected("node-full");
			}
			reply(channel, frame, (refused != null) ? refused.getMessage() : (ex != null) ? UNAVAILABLE : null);
			if (ex == null) {
				enablePresence(channel);
			}
			return null;
		});
	}

	private CompletableFuture<Void> storePending(PhoenixChannel channel) {
		channel.flushScheduled(false);
		@Nullable PresenceState state = channel.pendingState();
		channel.pendingState(null);
		Presence current = channel.presence();
		if (channel.closed() || state == null || current == null || state.equals(current.encodedState())) {
			return PhoenixConnection.DONE;
		}
		return store(channel, state).handle((presence, ex) -> null);
	}

	/**
	 * Store a state as the channel's presence, replacing the one it has.
	 */
	private CompletableFuture<@Nullable Presence> store(PhoenixChannel channel, PresenceState state) {
		channel.lastWriteNanos(System.nanoTime());
		return this.services.topics()
			.track(channel.storeTopic(), channel.key(), state, channel.presence())
			.handle((presence, ex) -> {
				if (ex != null) {
					if (limitExceeded(ex) == null) {
						logger.warn("Track in " + LogValues.quote(channel.topic()) + " failed on connection "
								+ this.connection.id() + ": " + ex);
					}
					throw new IllegalStateException(ex);
				}
				if (channel.closed()) {
					// the channel ended while the track was on its way: take it back
					this.services.topics().untrack(channel.storeTopic(), presence);
				}
				else {
					channel.presence(presence);
				}
				return presence;
			});
	}

	private CompletableFuture<Void> untrack(PhoenixChannel channel, PhoenixFrame frame) {
		channel.pendingState(null);
		Presence current = channel.presence();
		if (current == null) {
			reply(channel, frame, null);
			return PhoenixConnection.DONE;
		}
		return this.services.topics().untrack(channel.storeTopic(), current).handle((removed, ex) -> {
			if (ex != null) {
				logger.warn("Untrack in " + LogValues.quote(channel.topic()) + " failed on connection "
						+ this.connection.id() + ": " + ex);
				reply(channel, frame, UNAVAILABLE);
				return null;
			}
			channel.presence(null);
			reply(channel, frame, null);
			return null;
		});
	}

	private static @Nullable PresenceLimitExceededException limitExceeded(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof PresenceLimitExceededException refused) {
				return refused;
			}
		}
		return null;
	}

	private boolean isTopicFull(PhoenixChannel channel) {
		TopicReplica replica = channel.replica();
		return replica != null && replica.count().presences() >= this.services.limits().maxPresencesPerTopic();
	}

	/**
	 * A track turns presence on for a channel that joined without it, and then sends the
	 * channel the state it has not seen (docs/protocol.md §3.3, §7 item 1).
	 */
	private void enablePresence(PhoenixChannel channel) {
		TopicReplica replica = channel.replica();
		if (channel.presenceEnabled() || replica == null) {
			return;
		}
		replica.execute(() -> {
			if (channel.presenceEnabled() || channel.closed()) {
				return;
			}
			this.services.channelTopics().flush(replica);
			channel.enablePresence();
			this.connection.send(this.services.channelTopics().state(replica, channel));
		});
	}

	private void reply(PhoenixChannel channel, PhoenixFrame frame, @Nullable String error) {
		this.connection.send((error != null) ? this.messages.error(channel.joinRef(), frame.ref(), frame.topic(), error)
				: this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
	}

	/**
	 * A state as the authorizer sees it: parsed only if the authorizer reads it, which
	 * the default one never does.
	 */
	private static final class ParsedOnDemand extends AbstractMap<String, @Nullable Object> {

		private final PresenceState state;

		private @Nullable Map<String, @Nullable Object> parsed;

		ParsedOnDemand(PresenceState state) {
			this.state = state;
		}

		private Map<String, @Nullable Object> parsed() {
			Map<String, @Nullable Object> parsed = this.parsed;
			if (parsed == null) {
				parsed = this.state.toMap();
				this.parsed = parsed;
			}
			return parsed;
		}

		@Override
		public Set<Entry<String, @Nullable Object>> entrySet() {
			return parsed().entrySet();
		}

		@Override
		public @Nullable Object get(Object key) {
			return parsed().get(key);
		}

		@Override
		public boolean containsKey(Object key) {
			return parsed().containsKey(key);
		}

		@Override
		public int size() {
			return parsed().size();
		}

	}

}
