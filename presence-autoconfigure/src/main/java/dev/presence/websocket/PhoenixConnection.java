package dev.presence.websocket;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.SessionLimitExceededException;

import dev.presence.core.Presence;
import dev.presence.core.PresenceMonitor;
import dev.presence.core.PresenceTopics;
import dev.presence.core.TopicReplica;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One WebSocket connection speaking the Phoenix protocol: its joined channels, and the
 * handling of every frame it sends (PROTOCOL.md §1–§4).
 * <p>
 * Frames are handled one at a time in the order they arrived, each after the previous
 * one's store operation completed, so a track never overtakes the join before it and the
 * connection's close runs after everything it sent. Handling never runs on a container
 * or Lettuce thread and never throws: every bad frame gets an error reply.
 */
final class PhoenixConnection {

	private static final Log logger = LogFactory.getLog(PhoenixConnection.class);

	private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

	private final WebSocketSession session;

	private final PhoenixSerializer serializer;

	private final PhoenixMessages messages;

	private final PresenceTopics topics;

	private final ChannelTopics channelTopics;

	private final ChannelLimits limits;

	private final Executor executor;

	private final PresenceMonitor monitor;

	private final Map<String, PhoenixChannel> channels = new ConcurrentHashMap<>();

	private final AtomicInteger pending = new AtomicInteger();

	// guarded by this
	private CompletableFuture<Void> tail = DONE;

	// touched only by the container's thread delivering this connection's messages
	private @Nullable StringBuilder partial;

	private volatile boolean closed;

	PhoenixConnection(WebSocketSession session, PhoenixSerializer serializer, PhoenixMessages messages,
			PresenceTopics topics, ChannelTopics channelTopics, ChannelLimits limits, Executor executor,
			PresenceMonitor monitor) {
		this.monitor = monitor;
		this.session = session;
		this.serializer = serializer;
		this.messages = messages;
		this.topics = topics;
		this.channelTopics = channelTopics;
		this.limits = limits;
		this.executor = executor;
	}

	String id() {
		return this.session.getId();
	}

	/**
	 * Take a text frame, or a part of one, from the client.
	 */
	void receive(String text, boolean last) {
		StringBuilder partial = this.partial;
		if (partial == null && last) {
			if (text.length() > this.limits.maxFrameBytes()) {
				this.monitor.frameRejected("frame-too-large");
				closeSession(CloseStatus.TOO_BIG_TO_PROCESS.withReason("frame larger than the maximum frame size"));
				return;
			}
			receive(text);
			return;
		}
		if (partial == null) {
			partial = new StringBuilder();
			this.partial = partial;
		}
		// characters, not bytes: an upper bound the client cannot dodge by sending multi-byte text
		if (partial.length() + text.length() > this.limits.maxFrameBytes()) {
			this.partial = null;
			this.monitor.frameRejected("frame-too-large");
			closeSession(CloseStatus.TOO_BIG_TO_PROCESS.withReason("frame larger than the maximum frame size"));
			return;
		}
		partial.append(text);
		if (last) {
			this.partial = null;
			receive(partial.toString());
		}
	}

	private void receive(String text) {
		if (this.pending.get() >= this.limits.maxPendingFrames()) {
			this.monitor.frameRejected("too-many-pending");
			closeSession(CloseStatus.POLICY_VIOLATION.withReason("too many frames waiting to be handled"));
			return;
		}
		PhoenixFrame frame;
		try {
			frame = this.serializer.decode(text);
		}
		catch (PhoenixProtocolException ex) {
			enqueue(() -> {
				rejectMalformed(ex);
				return DONE;
			});
			return;
		}
		enqueue(() -> handle(frame));
	}

	/**
	 * Take a binary frame: presence never uses one.
	 */
	void receiveBinary() {
		this.monitor.frameRejected("binary");
		enqueue(() -> {
			send(this.messages.error(null, null, PhoenixMessages.PHOENIX_TOPIC,
					"binary frames are not supported by this server"));
			return DONE;
		});
	}

	/**
	 * The WebSocket is gone: end every channel, which removes the connection's presences.
	 */
	void closed() {
		this.closed = true;
		enqueue(() -> {
			List<CompletableFuture<Void>> ended = new ArrayList<>();
			for (PhoenixChannel channel : List.copyOf(this.channels.values())) {
				ended.add(end(channel, false));
			}
			return CompletableFuture.allOf(ended.toArray(CompletableFuture[]::new));
		});
	}

	private synchronized void enqueue(Supplier<CompletableFuture<Void>> step) {
		this.pending.incrementAndGet();
		this.tail = this.tail.thenComposeAsync((previous) -> {
			try {
				return step.get();
			}
			catch (RuntimeException ex) {
				logger.error("Unexpected failure handling a frame of connection " + id(), ex);
				return DONE;
			}
		}, this.executor).exceptionally((ex) -> {
			logger.error("Unexpected failure handling a frame of connection " + id(), ex);
			return null;
		}).whenComplete((done, ex) -> this.pending.decrementAndGet());
	}

	private void rejectMalformed(PhoenixProtocolException ex) {
		this.monitor.frameRejected("malformed");
		String topic = (ex.getTopic() != null) ? ex.getTopic() : PhoenixMessages.PHOENIX_TOPIC;
		send(this.messages.error(null, ex.getRef(), topic, ex.getMessage()));
	}

	private CompletableFuture<Void> handle(PhoenixFrame frame) {
		if (logger.isTraceEnabled()) {
			logger.trace("Connection " + id() + " received " + frame);
		}
		if (PhoenixMessages.PHOENIX_TOPIC.equals(frame.topic())) {
			if ("heartbeat".equals(frame.event())) {
				send(this.messages.ok(null, frame.ref(), frame.topic()));
			}
			else {
				send(this.messages.error(null, frame.ref(), frame.topic(), "unknown event: " + frame.event()));
			}
			return DONE;
		}
		if ("phx_join".equals(frame.event())) {
			return join(frame);
		}
		PhoenixChannel channel = this.channels.get(frame.topic());
		if (channel == null) {
			if ("phx_leave".equals(frame.event())) {
				send(this.messages.ok(frame.joinRef(), frame.ref(), frame.topic()));
			}
			else {
				this.monitor.frameRejected("unmatched-topic");
				send(this.messages.error(null, frame.ref(), frame.topic(), "unmatched topic"));
			}
			return DONE;
		}
		if (frame.joinRef() != null && !frame.joinRef().equals(channel.joinRef())) {
			// a push for an earlier join of this topic: Phoenix drops it silently (PROTOCOL.md §2.6)
			return DONE;
		}
		switch (frame.event()) {
			case "phx_leave":
				send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
				return endAndClose(channel);
			case "presence":
				return presence(channel, frame);
			case "access_token":
				// accepted without reply, as Supabase does (PROTOCOL.md §2.8)
				return DONE;
			default:
				this.monitor.frameRejected("unknown-event");
				send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
						"unsupported event: " + frame.event()));
				return DONE;
		}
	}

	private CompletableFuture<Void> join(PhoenixFrame frame) {
		String topic = frame.topic();
		String joinRef = (frame.joinRef() != null) ? frame.joinRef() : frame.ref();
		if (!topic.startsWith(PhoenixChannel.TOPIC_PREFIX)) {
			send(this.messages.error(null, frame.ref(), topic, "unmatched topic"));
			return DONE;
		}
		if (joinRef == null) {
			send(this.messages.error(null, null, topic, "phx_join needs a ref"));
			return DONE;
		}
		CompletableFuture<Void> previous = DONE;
		PhoenixChannel existing = this.channels.get(topic);
		if (existing != null) {
			previous = endAndClose(existing);
		}
		return previous.thenCompose((ended) -> joinAfterPrevious(frame, topic, joinRef));
	}

	private CompletableFuture<Void> joinAfterPrevious(PhoenixFrame frame, String topic, String joinRef) {
		JoinConfig config;
		try {
			config = JoinConfig.from(frame.payload(), this.topics.refs());
		}
		catch (PhoenixProtocolException ex) {
			send(this.messages.error(joinRef, joinRef, topic, ex.getMessage()));
			return DONE;
		}
		String name = PhoenixChannel.channelName(topic);
		String refusal = null;
		if (name.isEmpty()) {
			refusal = "TopicNameRequired: You must provide a topic name";
		}
		else if (config.privateChannel()) {
			refusal = "Unauthorized: You do not have permissions to read from this Channel topic: " + name;
		}
		else if (config.postgresChanges()) {
			refusal = "UnsupportedFeature: postgres_changes are not served by this presence server";
		}
		else if (this.channels.size() >= this.limits.maxChannels()) {
			refusal = "ChannelRateLimitReached: Too many channels";
		}
		if (refusal != null) {
			send(this.messages.error(joinRef, joinRef, topic, refusal));
			return DONE;
		}
		PhoenixChannel channel = new PhoenixChannel(this, topic, joinRef, config.key(), config.presenceEnabled());
		this.channels.put(topic, channel);
		CompletableFuture<Void> joined = new CompletableFuture<>();
		this.topics.follow(topic).whenComplete((replica, ex) -> {
			if (ex != null) {
				logger.warn("Join of " + topic + " failed on connection " + id() + ": " + ex);
				this.channels.remove(topic, channel);
				send(this.messages.error(joinRef, joinRef, topic,
						"PresenceUnavailable: the presence store cannot be reached"));
				joined.complete(null);
				return;
			}
			channel.replica(replica);
			replica.execute(() -> {
				this.channelTopics.attach(replica, channel);
				send(this.messages.joined(joinRef, topic));
				if (channel.presenceEnabled()) {
					send(this.messages.state(joinRef, topic, replica.presences()));
				}
				joined.complete(null);
			});
		});
		return joined;
	}

	private CompletableFuture<Void> presence(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode event = frame.payload().get("event");
		if (event == null || event.isNull()) {
			// Supabase answers ok and does nothing (PROTOCOL.md §3.2)
			send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
			return DONE;
		}
		String name = event.isString() ? event.asString().toLowerCase(Locale.ROOT) : "";
		switch (name) {
			case "track":
				return track(channel, frame);
			case "untrack":
				return untrack(channel, frame);
			default:
				this.monitor.frameRejected("unknown-event");
				send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
						"unknown presence event: " + event));
				return DONE;
		}
	}

	private CompletableFuture<Void> track(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode payload = frame.payload().get("payload");
		if (payload == null || payload.isNull()) {
			payload = this.messages.mapper().createObjectNode();
		}
		if (!payload.isObject()) {
			this.monitor.frameRejected("invalid-payload");
			send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
					"Presence track payload must be a map"));
			return DONE;
		}
		if (stateSize(payload) > this.limits.maxStateBytes()) {
			this.monitor.frameRejected("state-too-large");
			send(this.messages.system(channel.joinRef(), channel.topic(), "Track message size exceeded"));
			return endAndClose(channel);
		}
		Map<String, @Nullable Object> state = toState(payload);
		Presence current = channel.presence();
		if (current != null && current.state().equals(state)) {
			send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
			enablePresence(channel);
			return DONE;
		}
		return this.topics.track(channel.topic(), channel.key(), state, current).handle((presence, ex) -> {
			if (ex != null) {
				logger.warn("Track in " + channel.topic() + " failed on connection " + id() + ": " + ex);
				send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
						"PresenceUnavailable: the presence store cannot be reached"));
				return null;
			}
			channel.presence(presence);
			send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
			enablePresence(channel);
			return null;
		});
	}

	private CompletableFuture<Void> untrack(PhoenixChannel channel, PhoenixFrame frame) {
		Presence current = channel.presence();
		if (current == null) {
			send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
			return DONE;
		}
		return this.topics.untrack(channel.topic(), current).handle((removed, ex) -> {
			if (ex != null) {
				logger.warn("Untrack in " + channel.topic() + " failed on connection " + id() + ": " + ex);
				send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
						"PresenceUnavailable: the presence store cannot be reached"));
				return null;
			}
			channel.presence(null);
			send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
			return null;
		});
	}

	/**
	 * A track turns presence on for a channel that joined without it, and then sends the
	 * channel the state it has not seen (PROTOCOL.md §3.3, §7 item 1).
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
			this.channelTopics.flush(replica);
			channel.enablePresence();
			send(this.messages.state(channel.joinRef(), channel.topic(), replica.presences()));
		});
	}

	private CompletableFuture<Void> endAndClose(PhoenixChannel channel) {
		return end(channel, true);
	}

	/**
	 * End a channel: it leaves its topic and its presence is removed. The
	 * {@code phx_close}, when asked for, follows the last diff the channel was sent.
	 */
	private CompletableFuture<Void> end(PhoenixChannel channel, boolean sendClose) {
		this.channels.remove(channel.topic(), channel);
		channel.markClosed();
		TopicReplica replica = channel.replica();
		CompletableFuture<Void> detached = new CompletableFuture<>();
		Runnable detach = () -> {
			if (replica != null) {
				this.channelTopics.detach(replica, channel);
			}
			if (sendClose) {
				send(this.messages.close(channel.joinRef(), channel.topic()));
			}
			detached.complete(null);
		};
		if (replica != null) {
			replica.execute(detach);
		}
		else {
			detach.run();
		}
		Presence presence = channel.presence();
		CompletableFuture<Void> untracked = DONE;
		if (presence != null) {
			channel.presence(null);
			untracked = this.topics.untrack(channel.topic(), presence).exceptionally((ex) -> {
				logger.warn("Could not remove the presence of connection " + id() + " from " + channel.topic()
						+ " (it expires with this node's heartbeat): " + ex);
				return null;
			});
		}
		return CompletableFuture.allOf(detached, untracked).whenComplete((done, ex) -> {
			if (replica != null) {
				this.topics.unfollow(channel.topic());
			}
		});
	}

	/**
	 * Send a frame to this connection. Never throws: a failed send closes the connection.
	 */
	void send(PhoenixFrame frame) {
		send(new OutboundFrame(frame));
	}

	void send(OutboundFrame frame) {
		if (this.closed || !this.session.isOpen()) {
			return;
		}
		try {
			this.session.sendMessage(frame.encodedFor(this.serializer));
		}
		catch (SessionLimitExceededException ex) {
			logger.info("Closing connection " + id() + ", it does not keep up: " + ex.getMessage());
			this.monitor.slowClientClosed();
			closeSession(ex.getStatus().withReason("client too slow"));
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Could not send to connection " + id() + ", closing it: " + ex);
			closeSession(CloseStatus.SESSION_NOT_RELIABLE);
		}
	}

	private void closeSession(CloseStatus status) {
		try {
			this.session.close(status);
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Could not close connection " + id() + ": " + ex);
		}
	}

	private int stateSize(JsonNode payload) {
		try {
			return this.messages.mapper().writeValueAsBytes(payload).length;
		}
		catch (JacksonException ex) {
			return Integer.MAX_VALUE;
		}
	}

	@SuppressWarnings("unchecked")
	private Map<String, @Nullable Object> toState(JsonNode payload) {
		return this.messages.mapper().convertValue(payload, Map.class);
	}

}
