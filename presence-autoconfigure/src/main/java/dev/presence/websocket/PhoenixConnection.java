package dev.presence.websocket;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;
import dev.presence.core.Presence;
import dev.presence.engine.TopicReplica;
import dev.presence.security.PresenceAuthenticationException;
import dev.presence.security.PresenceAuthorizer;
import dev.presence.security.PresenceIdentity;
import tools.jackson.databind.JsonNode;

/**
 * One connection speaking the Phoenix protocol: its joined channels, and the handling of
 * every frame it sends (docs/protocol.md §1–§4). It knows its transport only as a
 * {@link ClientTransport}.
 * <p>
 * Frames are handled one at a time in the order they arrived, each after the previous
 * one's store operation completed, so a track never overtakes the join before it and the
 * connection's close runs after everything it sent. Handling never runs on a container
 * or Lettuce thread and never throws: every bad frame gets an error reply, a
 * {@code system} message or a close with a reason. Presence pushes are handled by
 * {@link ChannelTracking}, broadcasts by {@link ChannelBroadcasts}.
 */
public final class PhoenixConnection {

	private static final Log logger = LogFactory.getLog(PhoenixConnection.class);

	static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

	private final ClientTransport transport;

	private final PhoenixSerializer serializer;

	private final ConnectionServices services;

	private final PhoenixMessages messages;

	private final ChannelTracking tracking;

	private final ChannelBroadcasts broadcasts;

	private final @Nullable Principal principal;

	private final @Nullable String apiKey;

	private final Map<String, PhoenixChannel> channels = new ConcurrentHashMap<>();

	private final AtomicInteger pending = new AtomicInteger();

	// guarded by this
	private CompletableFuture<Void> tail = DONE;

	// touched only by the container's thread delivering this connection's messages
	private @Nullable StringBuilder partial;

	private @Nullable ByteArrayOutputStream partialBinary;

	private long partialBytes;

	// touched only by the frame handling
	private final FixedWindowCounter joins = new FixedWindowCounter(TimeUnit.SECONDS.toNanos(1));

	private volatile boolean closed;

	private volatile long lastReceivedNanos = System.nanoTime();

	PhoenixConnection(ClientTransport transport, PhoenixSerializer serializer, ConnectionServices services,
			@Nullable Principal principal, @Nullable String apiKey) {
		this.transport = transport;
		this.serializer = serializer;
		this.services = services;
		this.messages = services.messages();
		this.principal = principal;
		this.apiKey = apiKey;
		this.tracking = new ChannelTracking(this, services);
		this.broadcasts = new ChannelBroadcasts(this, services);
	}

	String id() {
		return this.transport.id();
	}

	/**
	 * The size of the states this connection's channels hold, in bytes of JSON. Call
	 * from the frame handling.
	 */
	long trackedStateBytes() {
		long bytes = 0;
		for (PhoenixChannel channel : this.channels.values()) {
			bytes += channel.trackedStateBytes();
		}
		return bytes;
	}

	/**
	 * When the client last sent a frame, on the {@link System#nanoTime()} clock.
	 */
	long lastReceivedNanos() {
		return this.lastReceivedNanos;
	}

	/**
	 * Take a whole text message that the transport assembled itself and already held to
	 * the maximum frame size (see {@link #rejectOversizedFrame()}), so its size is not
	 * counted again.
	 */
	public void receiveMessage(String text) {
		this.lastReceivedNanos = System.nanoTime();
		receive(text);
	}

	/**
	 * Take a text frame, or a part of one, from the client.
	 */
	public void receive(String text, boolean last) {
		this.lastReceivedNanos = System.nanoTime();
		int maxFrame = this.services.limits().maxFrameBytes();
		long bytes = this.partialBytes + utf8Length(text);
		if (bytes > maxFrame) {
			this.partial = null;
			this.partialBytes = 0;
			rejectOversizedFrame();
			return;
		}
		StringBuilder partial = this.partial;
		if (partial == null && last) {
			receive(text);
			return;
		}
		if (partial == null) {
			partial = new StringBuilder();
			this.partial = partial;
		}
		partial.append(text);
		this.partialBytes = bytes;
		if (last) {
			this.partial = null;
			this.partialBytes = 0;
			receive(partial.toString());
		}
	}

	/**
	 * The number of bytes the text takes in UTF-8, as it travelled on the wire.
	 */
	static long utf8Length(CharSequence text) {
		long bytes = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c < 0x80) {
				bytes += 1;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < text.length()
					&& Character.isLowSurrogate(text.charAt(i + 1))) {
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		return bytes;
	}

	/**
	 * Close the connection for a message larger than the maximum frame size, which the
	 * transport found while assembling it.
	 */
	public void rejectOversizedFrame() {
		this.services.monitor().frameRejected("frame-too-large");
		close(ClientTransport.TOO_BIG, "frame larger than the maximum frame size");
	}

	private void receive(String text) {
		if (tooManyPending()) {
			return;
		}
		PhoenixFrame frame;
		try {
			frame = this.serializer.decode(text);
		}
		catch (PhoenixProtocolException ex) {
			rejectMalformed(ex);
			return;
		}
		if (PhoenixMessages.PHOENIX_TOPIC.equals(frame.topic()) && "heartbeat".equals(frame.event())) {
			// answered at once, not behind channel work: the client only matches the ref
			// (docs/protocol.md §1.5), and a late reply makes it drop the connection
			send(this.messages.ok(null, frame.ref(), frame.topic()));
			return;
		}
		enqueue(() -> handle(frame));
	}

	private boolean tooManyPending() {
		if (this.pending.get() >= this.services.limits().maxPendingFrames()) {
			this.services.monitor().frameRejected("too-many-pending");
			close(ClientTransport.POLICY_VIOLATION, "too many frames waiting to be handled");
			return true;
		}
		return false;
	}

	private void rejectMalformed(PhoenixProtocolException ex) {
		enqueue(() -> {
			this.services.monitor().frameRejected("malformed");
			String topic = (ex.getTopic() != null) ? ex.getTopic() : PhoenixMessages.PHOENIX_TOPIC;
			send(this.messages.error(null, ex.getRef(), topic, ex.getMessage()));
			return DONE;
		});
	}

	/**
	 * Take a binary frame, or a part of one, from the client.
	 */
	public void receiveBinary(ByteBuffer part, boolean last) {
		this.lastReceivedNanos = System.nanoTime();
		long bytes = this.partialBytes + part.remaining();
		if (bytes > this.services.limits().maxFrameBytes()) {
			this.partialBinary = null;
			this.partialBytes = 0;
			rejectOversizedFrame();
			return;
		}
		ByteArrayOutputStream partial = this.partialBinary;
		if (partial == null && last) {
			byte[] message = new byte[part.remaining()];
			part.get(message);
			receiveBinary(message);
			return;
		}
		if (partial == null) {
			partial = new ByteArrayOutputStream();
			this.partialBinary = partial;
		}
		byte[] chunk = new byte[part.remaining()];
		part.get(chunk);
		partial.writeBytes(chunk);
		this.partialBytes = bytes;
		if (last) {
			this.partialBinary = null;
			this.partialBytes = 0;
			receiveBinary(partial.toByteArray());
		}
	}

	/**
	 * Take a whole binary message that the transport assembled itself and already held
	 * to the maximum frame size.
	 */
	public void receiveBinaryMessage(byte[] message) {
		this.lastReceivedNanos = System.nanoTime();
		receiveBinary(message);
	}

	/**
	 * A binary message: under version 2.0.0 a client's user broadcast push, the one
	 * binary frame a client sends (docs/protocol.md §8.2); nothing under 1.0.0.
	 */
	private void receiveBinary(byte[] message) {
		if (tooManyPending()) {
			return;
		}
		if (V1JsonSerializer.VERSION.equals(this.serializer.version())) {
			rejectMalformed(new PhoenixProtocolException(
					"malformed frame: binary frames are read only under protocol version 2.0.0", null, null));
			return;
		}
		BinaryBroadcastFrames.UserBroadcastPush push;
		try {
			push = BinaryBroadcastFrames.decodePush(message, this.messages::checkedJson);
		}
		catch (PhoenixProtocolException ex) {
			rejectMalformed(ex);
			return;
		}
		enqueue(() -> handle(push));
	}

	private CompletableFuture<Void> handle(BinaryBroadcastFrames.UserBroadcastPush push) {
		PhoenixChannel channel = this.channels.get(push.topic());
		if (channel == null) {
			this.services.monitor().frameRejected("unmatched-topic");
			send(this.messages.error(null, push.ref(), push.topic(), "unmatched topic"));
			return DONE;
		}
		if (push.joinRef() != null && !push.joinRef().equals(channel.joinRef())) {
			// for an earlier join of this topic, dropped as every such push is (docs/protocol.md §2.6)
			return DONE;
		}
		return this.broadcasts.send(channel, push.ref(), push.event(), push.payload());
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

	/**
	 * Run a step of frame handling after every step before it.
	 */
	synchronized void enqueue(Supplier<CompletableFuture<Void>> step) {
		this.pending.incrementAndGet();
		this.tail = this.tail.thenComposeAsync((previous) -> {
			try {
				return step.get();
			}
			catch (RuntimeException ex) {
				logger.error("Unexpected failure handling a frame of connection " + id(), ex);
				return DONE;
			}
		}, this.services.executor()).exceptionally((ex) -> {
			if (ex.getCause() instanceof RejectedExecutionException) {
				// the node is stopping: its executors end before the container closes
				// the connections that are left
				logger.debug("Not handling a frame of connection " + id() + ": the node is stopping");
			}
			else {
				logger.error("Unexpected failure handling a frame of connection " + id(), ex);
			}
			return null;
		}).whenComplete((done, ex) -> this.pending.decrementAndGet());
	}

	/**
	 * Run a step of frame handling after a delay, in turn with the frames.
	 */
	void enqueueAfter(Duration delay, Supplier<CompletableFuture<Void>> step) {
		this.services.scheduler().schedule(() -> enqueue(step), delay.toNanos(), TimeUnit.NANOSECONDS);
	}

	private CompletableFuture<Void> handle(PhoenixFrame frame) {
		if (logger.isTraceEnabled()) {
			logger.trace("Connection " + id() + " received " + LogValues.quote(frame));
		}
		if (PhoenixMessages.PHOENIX_TOPIC.equals(frame.topic())) {
			if ("heartbeat".equals(frame.event())) {
				send(this.messages.ok(null, frame.ref(), frame.topic()));
			}
			else {
				this.services.monitor().frameRejected("unknown-event");
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
				this.services.monitor().frameRejected("unmatched-topic");
				send(this.messages.error(null, frame.ref(), frame.topic(), "unmatched topic"));
			}
			return DONE;
		}
		if (frame.joinRef() != null && !frame.joinRef().equals(channel.joinRef())) {
			// a push for an earlier join of this topic: Phoenix drops it silently (docs/protocol.md §2.6)
			return DONE;
		}
		switch (frame.event()) {
			case "phx_leave":
				send(this.messages.ok(channel.joinRef(), frame.ref(), frame.topic()));
				return end(channel, true);
			case "presence":
				return this.tracking.presence(channel, frame);
			case "access_token":
				return refreshToken(channel, frame);
			case "broadcast":
				return this.broadcasts.receive(channel, frame);
			default:
				this.services.monitor().frameRejected("unknown-event");
				send(this.messages.error(channel.joinRef(), frame.ref(), frame.topic(),
						"unsupported event: " + frame.event()));
				return DONE;
		}
	}

	private CompletableFuture<Void> join(PhoenixFrame frame) {
		String topic = frame.topic();
		String joinRef = (frame.joinRef() != null) ? frame.joinRef() : frame.ref();
		if (!topic.startsWith(PhoenixChannel.TOPIC_PREFIX)) {
			this.services.monitor().frameRejected("unmatched-topic");
			send(this.messages.error(null, frame.ref(), topic, "unmatched topic"));
			return DONE;
		}
		if (joinRef == null) {
			this.services.monitor().frameRejected("malformed");
			send(this.messages.error(null, null, topic, "phx_join needs a ref"));
			return DONE;
		}
		CompletableFuture<Void> previous = DONE;
		PhoenixChannel existing = this.channels.get(topic);
		if (existing != null) {
			previous = end(existing, true);
		}
		return previous.thenCompose((ended) -> admit(frame, topic, joinRef));
	}

	private CompletableFuture<Void> admit(PhoenixFrame frame, String topic, String joinRef) {
		JoinConfig config;
		try {
			config = JoinConfig.from(frame.payload());
		}
		catch (PhoenixProtocolException ex) {
			this.services.monitor().frameRejected("malformed");
			send(this.messages.error(joinRef, frame.ref(), topic, ex.getMessage()));
			return DONE;
		}
		String name = PhoenixChannel.channelName(topic);
		if (name.isEmpty()) {
			return refuseJoin(frame, joinRef, "TopicNameRequired: You must provide a topic name");
		}
		if (name.length() > this.services.limits().maxTopicLength()) {
			return refuseJoin(frame, joinRef, "TopicNameTooLong: Topic names are limited to "
					+ this.services.limits().maxTopicLength() + " characters");
		}
		if (config.postgresChanges()) {
			return refuseJoin(frame, joinRef,
					"UnsupportedFeature: postgres_changes are not served by this presence server");
		}
		if (this.channels.size() >= this.services.limits().maxChannels()) {
			return refuseJoin(frame, joinRef, "ChannelRateLimitReached: Too many channels");
		}
		if (this.joins.increment(System.nanoTime()) > this.services.limits().maxJoinsPerSecond()) {
			return refuseJoin(frame, joinRef, "ClientJoinRateLimitReached: Too many joins per second");
		}
		PresenceIdentity identity;
		try {
			identity = authenticate(config.accessToken());
		}
		catch (PresenceAuthenticationException ex) {
			return refuseJoin(frame, joinRef, ex.getMessage());
		}
		if (!this.services.authorizer().canJoin(identity, topic, config.privateChannel())) {
			return refuseJoin(frame, joinRef,
					"Unauthorized: You do not have permissions to read from this Channel topic: " + name);
		}
		String key;
		try {
			String bound = this.services.keyBinding().boundKey(identity);
			if (bound != null && config.key() != null && !bound.equals(config.key())) {
				return refuseJoin(frame, joinRef, "Unauthorized: You may only track presence under your own key");
			}
			key = (bound != null) ? bound
					: (config.key() != null) ? config.key() : this.services.topics().newPresenceKey();
		}
		catch (IllegalStateException ex) {
			return refuseJoin(frame, joinRef, "Unauthorized: Presence keys are bound to identities here, which needs "
					+ ex.getMessage());
		}
		PhoenixChannel channel = new PhoenixChannel(this, topic, joinRef, key, identity, config,
				this.services.limits().presenceMessageWindow().toNanos());
		allowBroadcasts(channel, identity);
		this.channels.put(topic, channel);
		scheduleExpiry(channel, identity);
		CompletableFuture<Void> joined = new CompletableFuture<>();
		this.services.topics().follow(channel.storeTopic()).whenComplete((replica, ex) -> {
			if (ex != null) {
				logger.warn("Join of " + LogValues.quote(topic) + " failed on connection " + id() + ": " + ex);
				this.channels.remove(topic, channel);
				channel.markClosed();
				send(this.messages.error(joinRef, frame.ref(), topic,
						"PresenceUnavailable: the presence store cannot be reached"));
				joined.complete(null);
				return;
			}
			channel.replica(replica);
			replica.execute(() -> {
				this.services.channelTopics().attach(replica, channel);
				send(this.messages.joined(joinRef, frame.ref(), topic));
				if (channel.presenceEnabled()) {
					send(this.services.channelTopics().state(replica, channel));
				}
				joined.complete(null);
			});
		});
		return joined;
	}

	/**
	 * Refuse a join: the error reply carries the join ref the channel would have had and
	 * echoes the ref of the push, as every reply does.
	 */
	private CompletableFuture<Void> refuseJoin(PhoenixFrame frame, String joinRef, String reason) {
		this.services.monitor().frameRejected("join-refused");
		send(this.messages.error(joinRef, frame.ref(), frame.topic(), reason));
		return DONE;
	}

	private PresenceIdentity authenticate(@Nullable String accessToken) {
		PresenceIdentity identity = this.services.authenticator().authenticate(this.principal, this.apiKey,
				accessToken);
		Instant now = this.services.clock().instant();
		if (identity.isExpired(now)) {
			throw new PresenceAuthenticationException("InvalidJWTToken: Token has expired "
					+ Duration.between(identity.expiresAt(), now).toSeconds() + " seconds ago");
		}
		return identity;
	}

	/**
	 * A new token for a joined channel (docs/protocol.md §2.8): no reply, but a token that is
	 * refused, or that no longer allows the topic, closes the channel.
	 */
	private CompletableFuture<Void> refreshToken(PhoenixChannel channel, PhoenixFrame frame) {
		JsonNode token = frame.payload().path("access_token");
		if (!token.isString() || token.asString().isEmpty()) {
			return DONE;
		}
		PresenceIdentity identity;
		try {
			identity = authenticate(token.asString());
		}
		catch (PresenceAuthenticationException ex) {
			return shutDown(channel, ex.getMessage());
		}
		if (!this.services.authorizer().canJoin(identity, channel.topic(), channel.privateChannel())) {
			return shutDown(channel, "You no longer have permission to read from this Channel topic: "
					+ PhoenixChannel.channelName(channel.topic()));
		}
		channel.identity(identity);
		allowBroadcasts(channel, identity);
		scheduleExpiry(channel, identity);
		return DONE;
	}

	private void allowBroadcasts(PhoenixChannel channel, PresenceIdentity identity) {
		PresenceAuthorizer authorizer = this.services.authorizer();
		channel.allowBroadcasts(authorizer.canSendBroadcast(identity, channel.topic(), channel.privateChannel()),
				authorizer.canReceiveBroadcasts(identity, channel.topic(), channel.privateChannel()));
	}

	private void scheduleExpiry(PhoenixChannel channel, PresenceIdentity identity) {
		Instant expiresAt = identity.expiresAt();
		if (expiresAt == null) {
			return;
		}
		Duration delay = Duration.between(this.services.clock().instant(), expiresAt);
		enqueueAfter(delay.isNegative() ? Duration.ZERO : delay, () -> {
			if (channel.closed() || channel.identity() != identity) {
				return DONE;
			}
			return shutDown(channel, "Token has expired "
					+ Duration.between(expiresAt, this.services.clock().instant()).toSeconds()
					+ " seconds ago");
		});
	}

	/**
	 * Close a channel from the server side: a {@code system} error, then {@code phx_close}
	 * (docs/protocol.md §4.2).
	 */
	CompletableFuture<Void> shutDown(PhoenixChannel channel, String message) {
		send(this.messages.system(channel.joinRef(), channel.topic(), message));
		return end(channel, true);
	}

	/**
	 * End a channel: it leaves its topic and its presence is removed. The
	 * {@code phx_close}, when asked for, follows the last diff the channel was sent.
	 */
	CompletableFuture<Void> end(PhoenixChannel channel, boolean sendClose) {
		this.channels.remove(channel.topic(), channel);
		channel.markClosed();
		TopicReplica replica = channel.replica();
		CompletableFuture<Void> detached = new CompletableFuture<>();
		Runnable detach = () -> {
			if (replica != null) {
				this.services.channelTopics().detach(replica, channel);
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
			untracked = this.services.topics().untrack(channel.storeTopic(), presence).exceptionally((ex) -> {
				logger.warn("Could not remove the presence of connection " + id() + " from "
						+ LogValues.quote(channel.topic()) + " (the store removes it once Redis answers again): " + ex);
				return null;
			});
		}
		return CompletableFuture.allOf(detached, untracked).whenComplete((done, ex) -> {
			if (replica != null) {
				this.services.topics().unfollow(channel.storeTopic());
			}
		});
	}

	/**
	 * Send a frame to this connection. Never throws: a failed send closes the connection.
	 */
	void send(PhoenixFrame frame) {
		send(new OutboundFrame(frame));
	}

	/**
	 * Send a frame shared with other connections, in the form of this connection's
	 * serializer.
	 * @return whether it was sent: not when the connection is closed or the frame has no
	 * form its serializer reads (a binary frame for a client of version 1.0.0)
	 */
	boolean send(OutboundFrame frame) {
		if (this.closed) {
			return false;
		}
		OutboundFrame.Encoded encoded = frame.encodedFor(this.serializer);
		if (encoded == null) {
			return false;
		}
		this.transport.send(encoded);
		return true;
	}

	/**
	 * Close the connection; its channels end when the transport reports it closed.
	 */
	void close(int status, String reason) {
		this.transport.close(status, reason);
	}

	/**
	 * Close the client when a write to it has been blocked past the send time limit.
	 */
	void closeIfStuck(long now) {
		this.transport.closeIfStuck(now);
	}

}
