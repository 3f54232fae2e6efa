package dev.presence.benchmarks;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

/**
 * One WebSocket connection speaking Phoenix vsn 2.0.0, joined to at most one topic at a
 * time, as {@code @supabase/realtime-js} would: {@code phx_join} with presence enabled,
 * {@code presence} track pushes, a heartbeat every 25 s. Replies are matched by ref.
 * Inbound frames are handled on the connection's event loop thread.
 */
final class PhoenixClient {

	static final long HEARTBEAT_MILLIS = 25_000;

	/**
	 * Called on the event loop thread for every meta that joins in a
	 * {@code presence_diff}, with the meta's {@code n} (-1 when it has none).
	 */
	@FunctionalInterface
	interface JoinObserver {

		void joined(String key, long n, long nanoTime);

	}

	/**
	 * Called on the event loop thread for every broadcast received, with the {@code t}
	 * of its payload (the sender's {@link System#nanoTime()}, -1 when it has none).
	 */
	@FunctionalInterface
	interface BroadcastObserver {

		void received(long sentNanos, long nanoTime);

	}

	private final ClientStats stats;

	private final boolean keepsView;

	private final @Nullable JoinObserver observer;

	private volatile @Nullable BroadcastObserver broadcastObserver;

	private final AtomicInteger refs = new AtomicInteger();

	private final Map<String, CompletableFuture<Boolean>> replies = new ConcurrentHashMap<>();

	private volatile @Nullable Channel channel;

	private volatile @Nullable ScheduledFuture<?> heartbeat;

	private volatile @Nullable String topic;

	private volatile @Nullable String joinRef;

	private volatile PresenceView view = new PresenceView(0);

	private volatile boolean closing;

	/**
	 * @param stats where what arrives is counted
	 * @param keepsView whether presence frames are parsed into a {@link PresenceView} (or
	 * only counted)
	 * @param observer told about keys joining in diffs, or {@code null}
	 */
	PhoenixClient(ClientStats stats, boolean keepsView, @Nullable JoinObserver observer) {
		this.stats = stats;
		this.keepsView = keepsView;
		this.observer = observer;
	}

	void opened(Channel channel) {
		this.channel = channel;
		this.heartbeat = channel.eventLoop().scheduleAtFixedRate(() -> send("[null,\"" + nextRef()
				+ "\",\"phoenix\",\"heartbeat\",{}]"), HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
	}

	/**
	 * Join a topic with presence enabled.
	 * @param topic the topic, e.g. {@code realtime:room}
	 * @param key the presence key, or {@code ""} for a server-generated one
	 * @param expectedKeys keys at which the view counts as converged, or 0
	 * @return the join reply: {@code true} for ok
	 */
	CompletableFuture<Boolean> join(String topic, String key, int expectedKeys) {
		String ref = nextRef();
		this.topic = topic;
		this.joinRef = ref;
		this.view = new PresenceView(expectedKeys);
		return push(ref, "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\",{\"config\":{\"broadcast\":"
				+ "{\"ack\":false,\"self\":false},\"presence\":{\"key\":\"" + key + "\",\"enabled\":true},"
				+ "\"postgres_changes\":[],\"private\":false}}]");
	}

	/**
	 * Track a presence in the joined topic.
	 * @param payloadJson the tracked JSON object
	 * @return the reply: {@code true} for ok
	 */
	CompletableFuture<Boolean> track(String payloadJson) {
		String ref = nextRef();
		return push(ref, "[\"" + this.joinRef + "\",\"" + ref + "\",\"" + this.topic + "\",\"presence\","
				+ "{\"type\":\"presence\",\"event\":\"track\",\"payload\":" + payloadJson + "}]");
	}

	/**
	 * Broadcast to the joined topic, without ack, as supabase-js sends it as text.
	 * @param event the event
	 * @param payloadJson the payload, JSON
	 */
	void broadcast(String event, String payloadJson) {
		send("[\"" + this.joinRef + "\",\"" + nextRef() + "\",\"" + this.topic + "\",\"broadcast\","
				+ "{\"type\":\"broadcast\",\"event\":\"" + event + "\",\"payload\":" + payloadJson + "}]");
	}

	/**
	 * Be told about every broadcast this client receives, with its send time.
	 */
	void observeBroadcasts(BroadcastObserver observer) {
		this.broadcastObserver = observer;
	}

	boolean observesBroadcasts() {
		return this.broadcastObserver != null;
	}

	void broadcastReceived(long sentNanos) {
		this.stats.broadcasts.increment();
		BroadcastObserver observer = this.broadcastObserver;
		if (observer != null) {
			observer.received(sentNanos, System.nanoTime());
		}
	}

	/**
	 * Leave the joined topic.
	 * @return the reply: {@code true} for ok
	 */
	CompletableFuture<Boolean> leave() {
		String ref = nextRef();
		String leftTopic = this.topic;
		String leftJoinRef = this.joinRef;
		// forgotten before the push: the phx_close that follows the reply may come back
		// before push returns, and must not count as a close of a join still wanted
		this.topic = null;
		this.joinRef = null;
		return push(ref, "[\"" + leftJoinRef + "\",\"" + ref + "\",\"" + leftTopic + "\",\"phx_leave\",{}]");
	}

	private CompletableFuture<Boolean> push(String ref, String text) {
		CompletableFuture<Boolean> reply = new CompletableFuture<>();
		this.replies.put(ref, reply);
		send(text);
		return reply;
	}

	private void send(String text) {
		Channel channel = this.channel;
		if (channel != null && channel.isActive()) {
			channel.writeAndFlush(new TextWebSocketFrame(text), channel.voidPromise());
		}
	}

	private String nextRef() {
		return Integer.toString(this.refs.incrementAndGet());
	}

	PresenceView view() {
		return this.view;
	}

	boolean isOpen() {
		Channel channel = this.channel;
		return channel != null && channel.isActive();
	}

	/**
	 * Handle one text frame. Runs on the event loop thread.
	 */
	void received(ByteBuf content) {
		this.stats.frames.increment();
		this.stats.bytes.add(content.readableBytes());
		InboundFrame.read(content, this.keepsView || this.observer != null, this);
	}

	void reply(@Nullable String ref, boolean ok) {
		if (!ok) {
			this.stats.errorReplies.increment();
		}
		if (ref != null) {
			CompletableFuture<Boolean> reply = this.replies.remove(ref);
			if (reply != null) {
				reply.complete(ok);
			}
		}
	}

	void presenceState(@Nullable String joinRef, Map<String, Map<String, Long>> state) {
		if (this.keepsView && joinRef != null && joinRef.equals(this.joinRef)) {
			this.view.state(state);
		}
	}

	void presenceDiff(String topic, PresenceView.Diff diff) {
		this.stats.diffs.increment();
		JoinObserver observer = this.observer;
		if (observer != null && !diff.joins().isEmpty()) {
			long now = System.nanoTime();
			diff.joins().forEach((key, metas) -> metas.values().forEach((n) -> observer.joined(key, n, now)));
		}
		if (this.keepsView && topic.equals(this.topic)) {
			this.view.diff(diff);
		}
	}

	void presenceDiffCounted() {
		this.stats.diffs.increment();
	}

	/**
	 * A {@code phx_close}, {@code phx_error} or {@code system} error: an error unless it
	 * ends a join this client already left.
	 */
	void closedByServer(@Nullable String joinRef) {
		if (!this.closing && (joinRef == null || joinRef.equals(this.joinRef))) {
			this.stats.serverCloses.increment();
		}
	}

	/**
	 * The connection went away.
	 */
	void disconnected() {
		ScheduledFuture<?> heartbeat = this.heartbeat;
		if (heartbeat != null) {
			heartbeat.cancel(false);
		}
		if (!this.closing) {
			this.stats.serverCloses.increment();
		}
		this.replies.values().forEach((reply) -> reply.complete(false));
		this.replies.clear();
	}

	/**
	 * Close the connection.
	 * @return a future that completes once it is closed
	 */
	CompletableFuture<Void> close() {
		this.closing = true;
		CompletableFuture<Void> closed = new CompletableFuture<>();
		Channel channel = this.channel;
		if (channel == null) {
			closed.complete(null);
			return closed;
		}
		channel.close().addListener((future) -> closed.complete(null));
		return closed;
	}

}
