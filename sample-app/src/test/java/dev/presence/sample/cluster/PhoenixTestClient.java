package dev.presence.sample.cluster;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.json.JsonMapper;

/**
 * A raw Phoenix Channels client (vsn 2.0.0) for tests: it sends {@code phx_join},
 * {@code presence} and {@code phx_leave} frames, never answers the server, records every
 * frame it receives and keeps, per joined topic, the presence state exactly as the
 * Supabase client does (docs/protocol.md §3.6).
 * <p>
 * Methods that push a frame wait for its {@code phx_reply} and fail on an error reply.
 * Thread-safe; pushes are serialised.
 */
final class PhoenixTestClient implements AutoCloseable {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);

	private final String name;

	private final List<Frame> frames = new CopyOnWriteArrayList<>();

	private final Map<String, ClientChannel> channels = new ConcurrentHashMap<>();

	private final Map<String, CompletableFuture<Map<String, Object>>> replies = new ConcurrentHashMap<>();

	private final AtomicInteger refs = new AtomicInteger();

	private final CompletableFuture<String> closedFuture = new CompletableFuture<>();

	private volatile boolean closedByClient;

	private final WebSocket socket;

	private PhoenixTestClient(String name, int port) {
		this.name = name;
		URI uri = URI.create("ws://127.0.0.1:" + port + "/realtime/v1/websocket?apikey=anon-key&vsn=2.0.0");
		this.socket = HTTP.newWebSocketBuilder()
			.connectTimeout(Duration.ofSeconds(5))
			.buildAsync(uri, new Receiver())
			.orTimeout(10, TimeUnit.SECONDS)
			.join();
	}

	/**
	 * Open a WebSocket to a node.
	 * @param name a name for messages
	 * @param port the node's HTTP port
	 * @return the connected client
	 */
	static PhoenixTestClient connect(String name, int port) {
		return new PhoenixTestClient(name, port);
	}

	String name() {
		return this.name;
	}

	/**
	 * Join a topic with presence enabled and wait for the {@code ok} reply.
	 * @param topic e.g. {@code realtime:room}
	 * @param key the presence key, {@code ""} for a server-generated one
	 * @return the channel
	 */
	ClientChannel join(String topic, String key) {
		String ref = nextRef();
		ClientChannel channel = new ClientChannel(topic, ref);
		this.channels.put(topic, channel);
		Map<String, Object> presence = new LinkedHashMap<>();
		presence.put("key", key);
		presence.put("enabled", true);
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("broadcast", Map.of("ack", false, "self", false));
		config.put("presence", presence);
		config.put("postgres_changes", List.of());
		config.put("private", false);
		push(ref, ref, topic, "phx_join", Map.of("config", config));
		return channel;
	}

	/**
	 * Track a state on a joined topic and wait for the {@code ok} reply.
	 */
	void track(String topic, Map<String, Object> state) {
		ClientChannel channel = channel(topic);
		push(channel.joinRef(), nextRef(), topic, "presence",
				Map.of("type", "presence", "event", "track", "payload", state));
	}

	/**
	 * Untrack on a joined topic and wait for the {@code ok} reply.
	 */
	void untrack(String topic) {
		ClientChannel channel = channel(topic);
		push(channel.joinRef(), nextRef(), topic, "presence", Map.of("type", "presence", "event", "untrack"));
	}

	/**
	 * Leave a joined topic and wait for the {@code ok} reply.
	 */
	void leave(String topic) {
		ClientChannel channel = this.channels.remove(topic);
		if (channel == null) {
			throw new IllegalStateException(this.name + " has not joined " + topic);
		}
		push(channel.joinRef(), nextRef(), topic, "phx_leave", Map.of());
	}

	ClientChannel channel(String topic) {
		ClientChannel channel = this.channels.get(topic);
		if (channel == null) {
			throw new IllegalStateException(this.name + " has not joined " + topic);
		}
		return channel;
	}

	List<ClientChannel> channels() {
		return List.copyOf(this.channels.values());
	}

	List<Frame> frames() {
		return List.copyOf(this.frames);
	}

	/**
	 * Whether the connection is gone.
	 */
	boolean isClosed() {
		return this.closedFuture.isDone();
	}

	/**
	 * Whether the connection went away without this client closing or aborting it.
	 */
	boolean droppedByServer() {
		return this.closedFuture.isDone() && !this.closedByClient;
	}

	/**
	 * How the connection ended, or {@code null} while it is open.
	 */
	String closeReason() {
		return this.closedFuture.getNow(null);
	}

	/**
	 * Close cleanly (close frame 1000) and wait until the server answered or the
	 * connection is gone.
	 */
	@Override
	public void close() {
		if (isClosed()) {
			return;
		}
		this.closedByClient = true;
		try {
			this.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
			this.closedFuture.get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			this.socket.abort();
		}
	}

	/**
	 * Drop the TCP connection without a close frame.
	 */
	void abort() {
		this.closedByClient = true;
		this.socket.abort();
		this.closedFuture.complete("aborted by client");
	}

	private String nextRef() {
		return Integer.toString(this.refs.incrementAndGet());
	}

	private void push(String joinRef, String ref, String topic, String event, Map<String, Object> payload) {
		CompletableFuture<Map<String, Object>> reply = new CompletableFuture<>();
		this.replies.put(ref, reply);
		String text = JSON.writeValueAsString(Arrays.asList(joinRef, ref, topic, event, payload));
		try {
			synchronized (this.socket) {
				this.socket.sendText(text, true).get(5, TimeUnit.SECONDS);
			}
			Map<String, Object> response = reply.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			if (!"ok".equals(response.get("status"))) {
				throw new IllegalStateException(this.name + ": " + event + " on " + topic + " was answered "
						+ response);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		catch (Exception ex) {
			throw new IllegalStateException(this.name + ": " + event + " on " + topic + " failed: " + ex, ex);
		}
		finally {
			this.replies.remove(ref);
		}
	}

	@SuppressWarnings("unchecked")
	private void handle(String text) {
		List<Object> array = JSON.readValue(text, List.class);
		Frame frame = new Frame((String) array.get(0), (String) array.get(1), (String) array.get(2),
				(String) array.get(3), (Map<String, Object>) array.get(4), System.nanoTime());
		this.frames.add(frame);
		ClientChannel channel = this.channels.get(frame.topic());
		switch (frame.event()) {
			case "phx_reply" -> {
				CompletableFuture<Map<String, Object>> reply = (frame.ref() != null) ? this.replies.get(frame.ref())
						: null;
				if (reply != null) {
					reply.complete(frame.payload());
				}
			}
			case "presence_state" -> {
				if (channel != null && channel.accepts(frame)) {
					channel.onState(frame.payload());
				}
			}
			case "presence_diff" -> {
				if (channel != null && channel.accepts(frame)) {
					channel.onDiff(frame.payload());
				}
			}
			default -> {
				// phx_close, system, phx_error: recorded only
			}
		}
	}

	private final class Receiver implements WebSocket.Listener {

		private final StringBuilder partial = new StringBuilder();

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			this.partial.append(data);
			if (last) {
				String text = this.partial.toString();
				this.partial.setLength(0);
				try {
					handle(text);
				}
				catch (RuntimeException ex) {
					System.err.println(PhoenixTestClient.this.name + " could not handle " + text + ": " + ex);
				}
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			PhoenixTestClient.this.closedFuture.complete("closed " + statusCode + " " + reason);
			failPending("closed " + statusCode);
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			PhoenixTestClient.this.closedFuture.complete("error " + error);
			failPending("error " + error);
		}

		private void failPending(String why) {
			PhoenixTestClient.this.replies.values()
				.forEach((reply) -> reply.completeExceptionally(new IllegalStateException(why)));
		}

	}

	/**
	 * One received frame.
	 */
	record Frame(String joinRef, String ref, String topic, String event, Map<String, Object> payload, long nanos) {
	}

	/**
	 * A join or leave event as realtime-js would fire it, with the ref of the meta.
	 */
	record ClientEvent(String kind, String key, String ref, Map<String, Object> meta, long nanos) {
	}

	/**
	 * The presence state of one joined topic, maintained by the algorithm of docs/protocol.md
	 * §3.6: diffs are queued until the first {@code presence_state} of the join, a state is
	 * turned into a diff against the local state, joins are applied before leaves, and the
	 * {@code phx_ref} is the only identity.
	 */
	static final class ClientChannel {

		private final String topic;

		private final String joinRef;

		// guarded by this
		private String stateJoinRef;

		private final LinkedHashMap<String, List<Map<String, Object>>> state = new LinkedHashMap<>();

		private final List<Map<String, Object>> pendingDiffs = new ArrayList<>();

		private final List<ClientEvent> events = new ArrayList<>();

		private int syncs;

		ClientChannel(String topic, String joinRef) {
			this.topic = topic;
			this.joinRef = joinRef;
		}

		String topic() {
			return this.topic;
		}

		String joinRef() {
			return this.joinRef;
		}

		boolean accepts(Frame frame) {
			return frame.joinRef() == null || frame.joinRef().equals(this.joinRef);
		}

		synchronized boolean synced() {
			return this.joinRef.equals(this.stateJoinRef);
		}

		/**
		 * The state: key to metas (with {@code phx_ref}), in the client's order.
		 */
		synchronized Map<String, List<Map<String, Object>>> state() {
			Map<String, List<Map<String, Object>>> copy = new LinkedHashMap<>();
			this.state.forEach((key, metas) -> copy.put(key, List.copyOf(metas)));
			return copy;
		}

		synchronized List<ClientEvent> events() {
			return List.copyOf(this.events);
		}

		synchronized int syncs() {
			return this.syncs;
		}

		@SuppressWarnings("unchecked")
		synchronized void onState(Map<String, Object> payload) {
			this.stateJoinRef = this.joinRef;
			Map<String, List<Map<String, Object>>> joins = new LinkedHashMap<>();
			Map<String, List<Map<String, Object>>> leaves = new LinkedHashMap<>();
			this.state.forEach((key, metas) -> {
				if (!payload.containsKey(key)) {
					leaves.put(key, List.copyOf(metas));
				}
			});
			payload.forEach((key, value) -> {
				List<Map<String, Object>> newMetas = (List<Map<String, Object>>) ((Map<String, Object>) value)
					.get("metas");
				List<Map<String, Object>> current = this.state.get(key);
				if (current == null) {
					joins.put(key, newMetas);
					return;
				}
				List<Object> currentRefs = current.stream().map((meta) -> meta.get("phx_ref")).toList();
				List<Object> newRefs = newMetas.stream().map((meta) -> meta.get("phx_ref")).toList();
				List<Map<String, Object>> joined = newMetas.stream()
					.filter((meta) -> !currentRefs.contains(meta.get("phx_ref")))
					.toList();
				List<Map<String, Object>> left = current.stream()
					.filter((meta) -> !newRefs.contains(meta.get("phx_ref")))
					.toList();
				if (!joined.isEmpty()) {
					joins.put(key, joined);
				}
				if (!left.isEmpty()) {
					leaves.put(key, left);
				}
			});
			apply(joins, leaves);
			List<Map<String, Object>> queued = new ArrayList<>(this.pendingDiffs);
			this.pendingDiffs.clear();
			queued.forEach(this::applyDiff);
			this.syncs++;
		}

		synchronized void onDiff(Map<String, Object> payload) {
			if (!this.joinRef.equals(this.stateJoinRef)) {
				this.pendingDiffs.add(payload);
				return;
			}
			applyDiff(payload);
			this.syncs++;
		}

		@SuppressWarnings("unchecked")
		private void applyDiff(Map<String, Object> diff) {
			apply(metasByKey((Map<String, Object>) diff.get("joins")),
					metasByKey((Map<String, Object>) diff.get("leaves")));
		}

		@SuppressWarnings("unchecked")
		private static Map<String, List<Map<String, Object>>> metasByKey(Map<String, Object> byKey) {
			Map<String, List<Map<String, Object>>> result = new LinkedHashMap<>();
			byKey.forEach((key, value) -> result.put(key,
					(List<Map<String, Object>>) ((Map<String, Object>) value).get("metas")));
			return result;
		}

		private void apply(Map<String, List<Map<String, Object>>> joins,
				Map<String, List<Map<String, Object>>> leaves) {
			long now = System.nanoTime();
			joins.forEach((key, newMetas) -> {
				List<Object> newRefs = newMetas.stream().map((meta) -> meta.get("phx_ref")).toList();
				List<Map<String, Object>> current = this.state.getOrDefault(key, List.of());
				List<Map<String, Object>> merged = new ArrayList<>();
				current.stream().filter((meta) -> !newRefs.contains(meta.get("phx_ref"))).forEach(merged::add);
				merged.addAll(newMetas);
				this.state.put(key, merged);
				newMetas.forEach((meta) -> this.events.add(new ClientEvent("join", key, (String) meta.get("phx_ref"),
						meta, now)));
			});
			leaves.forEach((key, leftMetas) -> {
				List<Map<String, Object>> current = this.state.get(key);
				if (current == null) {
					return;
				}
				List<Object> leftRefs = leftMetas.stream().map((meta) -> meta.get("phx_ref")).toList();
				List<Map<String, Object>> remaining = new ArrayList<>(current);
				remaining.removeIf((meta) -> leftRefs.contains(meta.get("phx_ref")));
				if (remaining.isEmpty()) {
					this.state.remove(key);
				}
				else {
					this.state.put(key, remaining);
				}
				leftMetas.forEach((meta) -> this.events.add(new ClientEvent("leave", key, (String) meta.get("phx_ref"),
						meta, now)));
			});
		}

	}

}
