package dev.presence.test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import static org.awaitility.Awaitility.await;

/**
 * A real WebSocket client ({@code java.net.http}) speaking raw Phoenix frames: it keeps
 * every frame it receives for assertions to take in order or by condition (as
 * {@code 2.0.0} arrays whatever the serializer: {@code 1.0.0} objects are turned into
 * arrays, their text is kept too), and folds the {@code presence_state} and
 * {@code presence_diff} frames of each topic into the state a Supabase client would show
 * (docs/protocol.md §3.6).
 */
public final class PhoenixSocket implements WebSocket.Listener {

	public static final JsonMapper MAPPER = JsonMapper.builder().build();

	private static final HttpClient http = HttpClient.newHttpClient();

	private final List<JsonNode> received = new CopyOnWriteArrayList<>();

	private final List<String> texts = new CopyOnWriteArrayList<>();

	// guarded by itself
	private final LinkedList<JsonNode> inbox = new LinkedList<>();

	// guarded by itself
	private final Map<String, PresenceView> views = new LinkedHashMap<>();

	private final StringBuilder partial = new StringBuilder();

	private final ByteArrayOutputStream partialBinary = new ByteArrayOutputStream();

	private final CompletableFuture<Integer> closed = new CompletableFuture<>();

	private volatile @Nullable WebSocket socket;

	private PhoenixSocket() {
	}

	/**
	 * Open a connection.
	 * @param port the server's port
	 * @param query the query string, without {@code vsn}
	 * @param headers header names and values, alternating
	 */
	public static PhoenixSocket connect(int port, String query, String... headers) {
		return connect(uri(port, query), headers);
	}

	/**
	 * Open a connection to exactly this address ({@code vsn} included, or left out).
	 * @param uri the endpoint's address with its query
	 * @param headers header names and values, alternating
	 */
	public static PhoenixSocket connect(URI uri, String... headers) {
		PhoenixSocket client = new PhoenixSocket();
		client.socket = builder(headers).buildAsync(uri, client).orTimeout(10, TimeUnit.SECONDS).join();
		return client;
	}

	public static PhoenixSocket connect(int port) {
		return connect(port, "apikey=anon-key");
	}

	/**
	 * Try to open a connection that the server is expected to refuse.
	 * @return the HTTP status of the refusal
	 */
	public static int refusedStatus(int port, String query, String... headers) {
		return refusedStatus(uri(port, query), headers);
	}

	/**
	 * Try to open a connection to exactly this address that the server is expected to
	 * refuse.
	 * @return the HTTP status of the refusal
	 */
	public static int refusedStatus(URI uri, String... headers) {
		try {
			WebSocket socket = builder(headers).buildAsync(uri, new PhoenixSocket())
				.orTimeout(10, TimeUnit.SECONDS)
				.join();
			socket.abort();
			throw new AssertionError("the handshake was accepted");
		}
		catch (CompletionException ex) {
			if (ex.getCause() instanceof WebSocketHandshakeException refused) {
				return refused.getResponse().statusCode();
			}
			throw ex;
		}
	}

	private static WebSocket.Builder builder(String... headers) {
		WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
		for (int i = 0; i < headers.length; i += 2) {
			builder.header(headers[i], headers[i + 1]);
		}
		return builder;
	}

	public static URI uri(int port, String query) {
		return URI.create("ws://localhost:" + port + "/realtime/v1/websocket?" + query
				+ (query.isEmpty() ? "" : "&") + "vsn=2.0.0");
	}

	@Override
	public void onOpen(WebSocket webSocket) {
		webSocket.request(1);
	}

	@Override
	public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
		this.partial.append(data);
		if (last) {
			String text = this.partial.toString();
			this.partial.setLength(0);
			JsonNode frame = asArray(MAPPER.readTree(text));
			this.texts.add(text);
			this.received.add(frame);
			synchronized (this.views) {
				PresenceView view = this.views.get(frame.get(2).asString());
				if (view != null) {
					view.apply(frame);
				}
			}
			synchronized (this.inbox) {
				this.inbox.add(frame);
			}
		}
		webSocket.request(1);
		return null;
	}

	/**
	 * A binary frame: a user broadcast (kind 4) is read into the frame supabase-js makes
	 * of it, {@code [null, null, topic, "broadcast", {type, event, payload}]}, marked with
	 * {@code "binaryFrame": true}; a binary payload is given as Base64 text.
	 */
	@Override
	public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
		byte[] bytes = new byte[data.remaining()];
		data.get(bytes);
		this.partialBinary.writeBytes(bytes);
		if (last) {
			byte[] message = this.partialBinary.toByteArray();
			this.partialBinary.reset();
			this.texts.add("<binary>");
			JsonNode frame = userBroadcast(message);
			if (frame != null) {
				this.received.add(frame);
				synchronized (this.inbox) {
					this.inbox.add(frame);
				}
			}
		}
		webSocket.request(1);
		return null;
	}

	private static @Nullable JsonNode userBroadcast(byte[] message) {
		if (message.length < 5 || message[0] != 4) {
			return null;
		}
		int topicLength = message[1] & 0xFF;
		int eventLength = message[2] & 0xFF;
		int metadataLength = message[3] & 0xFF;
		int at = 5;
		String topic = new String(message, at, topicLength, StandardCharsets.UTF_8);
		at += topicLength;
		String event = new String(message, at, eventLength, StandardCharsets.UTF_8);
		at += eventLength + metadataLength;
		byte[] body = Arrays.copyOfRange(message, at, message.length);
		ObjectNode payload = MAPPER.createObjectNode();
		payload.put("type", "broadcast");
		payload.put("event", event);
		if (message[4] == 1) {
			payload.set("payload", MAPPER.readTree(body));
		}
		else {
			payload.put("payload", Base64.getEncoder().encodeToString(body));
		}
		payload.put("binaryFrame", true);
		ArrayNode frame = MAPPER.createArrayNode();
		frame.addNull().addNull().add(topic).add("broadcast").add(payload);
		return frame;
	}

	@Override
	public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
		this.closed.complete(statusCode);
		return null;
	}

	@Override
	public void onError(WebSocket webSocket, Throwable error) {
		this.closed.complete(-1);
	}

	private static JsonNode asArray(JsonNode frame) {
		if (frame.isArray()) {
			return frame;
		}
		ArrayNode array = MAPPER.createArrayNode();
		array.add(frame.path("join_ref").isString() ? frame.get("join_ref") : MAPPER.nullNode());
		array.add(frame.get("ref"));
		array.add(frame.get("topic"));
		array.add(frame.get("event"));
		array.add(frame.get("payload"));
		return array;
	}

	public void send(String text) {
		socket().sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
	}

	/**
	 * Send, and go on if the server closed the connection meanwhile.
	 */
	public void sendIgnoringFailure(String text) {
		socket().sendText(text, true).orTimeout(10, TimeUnit.SECONDS).exceptionally((ex) -> null).join();
	}

	public void sendBinary(byte[] bytes) {
		socket().sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
	}

	private WebSocket socket() {
		WebSocket socket = this.socket;
		if (socket == null) {
			throw new IllegalStateException("not connected");
		}
		return socket;
	}

	/**
	 * Join a topic with presence enabled and wait for the ok reply.
	 * @return the join ref
	 */
	public String join(String topic, String joinRef, String key) {
		send(Frames.join(topic, joinRef, Frames.config(key, false), null));
		JsonNode reply = reply(joinRef);
		if (!"ok".equals(reply.get(4).get("status").asString())) {
			throw new AssertionError("join of " + topic + " refused: " + reply);
		}
		return joinRef;
	}

	/**
	 * Track and wait for the ok reply.
	 */
	public void track(String topic, String joinRef, String ref, String state) {
		send(Frames.track(topic, joinRef, ref, state));
		JsonNode reply = reply(ref);
		if (!"ok".equals(reply.get(4).get("status").asString())) {
			throw new AssertionError("track in " + topic + " refused: " + reply);
		}
	}

	/**
	 * Start folding the presence frames of a topic into a view. Call before joining.
	 */
	public PresenceView watch(String topic) {
		synchronized (this.views) {
			return this.views.computeIfAbsent(topic, (key) -> new PresenceView());
		}
	}

	public JsonNode nextFrame() {
		return next((frame) -> true);
	}

	/**
	 * The first frame not taken yet that matches, waiting for it; frames before it stay
	 * to be taken.
	 */
	public JsonNode next(Predicate<JsonNode> matching) {
		return next(matching, Duration.ofSeconds(10));
	}

	public JsonNode next(Predicate<JsonNode> matching, Duration within) {
		AtomicReference<JsonNode> found = new AtomicReference<>();
		try {
			await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> {
				synchronized (this.inbox) {
					Iterator<JsonNode> frames = this.inbox.iterator();
					while (frames.hasNext()) {
						JsonNode frame = frames.next();
						if (matching.test(frame)) {
							frames.remove();
							found.set(frame);
							return true;
						}
					}
				}
				return false;
			});
		}
		catch (ConditionTimeoutException ex) {
			List<JsonNode> received = received();
			throw new AssertionError("no matching frame within " + within + " among the last frames received: "
					+ received.subList(Math.max(0, received.size() - 20), received.size()), ex);
		}
		return found.get();
	}

	public JsonNode reply(String ref) {
		return next(Frames.event("phx_reply").and(Frames.ref(ref)));
	}

	/**
	 * The reason of the error reply to a ref.
	 */
	public String errorReason(String ref) {
		JsonNode reply = reply(ref);
		if (!"error".equals(reply.get(4).get("status").asString())) {
			throw new AssertionError("expected an error reply, got " + reply);
		}
		return reply.get(4).get("response").path("reason").asString(null);
	}

	/**
	 * Wait until a frame that matches has been received, taken or not.
	 */
	public void awaitReceived(Predicate<JsonNode> matching) {
		eventually().alias("a matching frame among " + this.received)
			.until(() -> this.received.stream().anyMatch(matching));
	}

	/**
	 * The payload of the next {@code presence_state} of a topic.
	 */
	public JsonNode stateOf(String topic) {
		return next(Frames.event("presence_state").and(Frames.topic(topic))).get(4);
	}

	/**
	 * Every frame received so far, taken or not, as it grows.
	 */
	public List<JsonNode> received() {
		return Collections.unmodifiableList(this.received);
	}

	/**
	 * The text of every frame received so far ({@code <binary>} for a binary one).
	 */
	public List<String> texts() {
		return Collections.unmodifiableList(this.texts);
	}

	public boolean isClosed() {
		return this.closed.isDone();
	}

	/**
	 * The close code the server closed with, waiting for it.
	 */
	public int closeCode(Duration within) {
		return this.closed.orTimeout(within.toMillis(), TimeUnit.MILLISECONDS).join();
	}

	/**
	 * Wait for the connection to close or for the reply to a ref, whichever comes first.
	 * @return {@code closed <status>} or {@code replied}
	 */
	public String closeCodeOrReply(String ref) {
		AtomicReference<String> outcome = new AtomicReference<>();
		eventually().until(() -> {
			if (this.closed.isDone()) {
				outcome.set("closed " + this.closed.getNow(-1));
				return true;
			}
			if (this.received.stream().anyMatch(Frames.event("phx_reply").and(Frames.ref(ref)))) {
				outcome.set("replied");
				return true;
			}
			return false;
		});
		return outcome.get();
	}

	/**
	 * Drop the connection without a close frame, as a client that vanished.
	 */
	public void abort() {
		WebSocket socket = this.socket;
		if (socket != null) {
			socket.abort();
		}
	}

	public void close() {
		WebSocket socket = this.socket;
		if (socket != null && !socket.isOutputClosed()) {
			socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye")
				.orTimeout(5, TimeUnit.SECONDS)
				.exceptionally((ex) -> null)
				.join();
		}
		if (socket != null) {
			socket.abort();
		}
	}

	public static ConditionFactory eventually() {
		return await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
	}

	/**
	 * The presence state of one topic as the Supabase client computes it: key to metas by
	 * {@code phx_ref}, with diffs that arrive before the first state held back.
	 */
	public static final class PresenceView {

		private final Map<String, Map<String, JsonNode>> state = new LinkedHashMap<>();

		private final List<JsonNode> pending = new ArrayList<>();

		private boolean synced;

		private int diffs;

		public synchronized void apply(JsonNode frame) {
			String event = frame.get(3).asString();
			if ("presence_state".equals(event)) {
				Map<String, Map<String, JsonNode>> next = new LinkedHashMap<>();
				frame.get(4).properties().forEach((entry) -> next.put(entry.getKey(), metas(entry.getValue())));
				this.state.clear();
				this.state.putAll(next);
				this.synced = true;
				this.pending.forEach(this::applyDiff);
				this.pending.clear();
			}
			else if ("presence_diff".equals(event)) {
				this.diffs++;
				if (this.synced) {
					applyDiff(frame.get(4));
				}
				else {
					this.pending.add(frame.get(4));
				}
			}
		}

		private void applyDiff(JsonNode diff) {
			diff.get("joins").properties().forEach((entry) -> this.state
				.computeIfAbsent(entry.getKey(), (key) -> new LinkedHashMap<>())
				.putAll(metas(entry.getValue())));
			diff.get("leaves").properties().forEach((entry) -> {
				Map<String, JsonNode> metas = this.state.get(entry.getKey());
				if (metas != null) {
					metas.keySet().removeAll(metas(entry.getValue()).keySet());
					if (metas.isEmpty()) {
						this.state.remove(entry.getKey());
					}
				}
			});
		}

		private static Map<String, JsonNode> metas(JsonNode byKey) {
			Map<String, JsonNode> metas = new LinkedHashMap<>();
			byKey.get("metas").forEach((meta) -> metas.put(meta.get("phx_ref").asString(), meta));
			return metas;
		}

		/**
		 * Key to the tracked states (metas without their refs).
		 */
		public synchronized Map<String, List<JsonNode>> states() {
			Map<String, List<JsonNode>> states = new LinkedHashMap<>();
			this.state.forEach((key, metas) -> states.put(key, metas.values().stream().map((meta) -> {
				ObjectNode copy = ((ObjectNode) meta).deepCopy();
				copy.remove("phx_ref");
				copy.remove("phx_ref_prev");
				return (JsonNode) copy;
			}).toList()));
			return states;
		}

		public synchronized int diffs() {
			return this.diffs;
		}

	}

	/**
	 * The frames clients send, and conditions on the frames they receive.
	 */
	public static final class Frames {

		private Frames() {
		}

		public static String join(String topic, String joinRef, String config, @Nullable String accessToken) {
			ObjectNode payload = MAPPER.createObjectNode();
			payload.set("config", MAPPER.readTree(config));
			if (accessToken != null) {
				payload.put("access_token", accessToken);
			}
			return frame(joinRef, joinRef, topic, "phx_join", payload.toString());
		}

		public static String config(@Nullable String key, boolean privateChannel) {
			return config(key, true, privateChannel);
		}

		/**
		 * A join's {@code config} as supabase-js sends it.
		 * @param key the presence key; {@code null} or empty lets the server choose
		 * @param presenceEnabled whether presence is on for the channel
		 * @param privateChannel whether the channel is private
		 */
		public static String config(@Nullable String key, boolean presenceEnabled, boolean privateChannel) {
			ObjectNode presence = MAPPER.createObjectNode();
			presence.put("key", (key != null) ? key : "");
			presence.put("enabled", presenceEnabled);
			ObjectNode config = MAPPER.createObjectNode();
			config.putObject("broadcast").put("ack", false).put("self", false);
			config.set("presence", presence);
			config.putArray("postgres_changes");
			config.put("private", privateChannel);
			return config.toString();
		}

		public static String track(String topic, String joinRef, String ref, String state) {
			return frame(joinRef, ref, topic, "presence",
					"{\"type\":\"presence\",\"event\":\"track\",\"payload\":" + state + "}");
		}

		public static String untrack(String topic, String joinRef, String ref) {
			return frame(joinRef, ref, topic, "presence", "{\"type\":\"presence\",\"event\":\"untrack\"}");
		}

		public static String accessToken(String topic, String joinRef, String ref, String token) {
			ObjectNode payload = MAPPER.createObjectNode();
			payload.put("access_token", token);
			return frame(joinRef, ref, topic, "access_token", payload.toString());
		}

		public static String heartbeat(String ref) {
			return frame(null, ref, "phoenix", "heartbeat", "{}");
		}

		public static String frame(@Nullable String joinRef, @Nullable String ref, String topic, String event,
				String payload) {
			ArrayNode array = MAPPER.createArrayNode();
			array.add(joinRef);
			array.add(ref);
			array.add(topic);
			array.add(event);
			array.add(MAPPER.readTree(payload));
			return MAPPER.writeValueAsString(array);
		}

		public static Predicate<JsonNode> event(String event) {
			return (frame) -> event.equals(frame.get(3).asString());
		}

		public static Predicate<JsonNode> ref(String ref) {
			return (frame) -> ref.equals(frame.get(1).asString(null));
		}

		public static Predicate<JsonNode> topic(String topic) {
			return (frame) -> topic.equals(frame.get(2).asString());
		}

		public static JsonNode json(String text) {
			return MAPPER.readTree(text);
		}

	}

}
