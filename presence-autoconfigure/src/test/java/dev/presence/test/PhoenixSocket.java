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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>
 * A test can drive it frame by frame ({@link #send(String)}, {@link #next(Predicate)}), or
 * by topic, with refs it chooses itself ({@link #join(String, String)},
 * {@link #track(String, Map)}, {@link #untrack(String)}, {@link #leave(String)}). A client
 * that must not hold on to what it receives (a memory test, a fuzzer) keeps only the frames
 * it asks for ({@link #keepOnly(Predicate)}). Sends are serialised, so several threads may
 * share a client.
 */
public final class PhoenixSocket implements WebSocket.Listener, AutoCloseable {

	public static final JsonMapper MAPPER = JsonMapper.builder().build();

	private static final HttpClient http = HttpClient.newHttpClient();

	private final List<JsonNode> received = new CopyOnWriteArrayList<>();

	private final List<String> texts = new CopyOnWriteArrayList<>();

	// guarded by itself
	private final LinkedList<JsonNode> inbox = new LinkedList<>();

	// guarded by itself
	private final Map<String, PresenceView> views = new LinkedHashMap<>();

	// guarded by views: topic to the join ref of join(topic, key)
	private final Map<String, String> joinRefs = new LinkedHashMap<>();

	private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

	private final AtomicInteger malformed = new AtomicInteger();

	private final AtomicInteger refs = new AtomicInteger();

	private final Object sending = new Object();

	private final StringBuilder partial = new StringBuilder();

	private final ByteArrayOutputStream partialBinary = new ByteArrayOutputStream();

	private final CompletableFuture<Integer> closed = new CompletableFuture<>();

	/** Whether the connection asked for {@code vsn=2.0.0}, where every frame is an array. */
	private final boolean arrays;

	private volatile String closeReason = "open";

	private volatile boolean closedByClient;

	private volatile Predicate<JsonNode> kept = (frame) -> true;

	private volatile String name = "client";

	private volatile @Nullable WebSocket socket;

	private PhoenixSocket(boolean arrays) {
		this.arrays = arrays;
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
		String query = uri.getRawQuery();
		PhoenixSocket client = new PhoenixSocket(query != null && query.contains("vsn=2.0.0"));
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
			WebSocket socket = builder(headers).buildAsync(uri, new PhoenixSocket(false))
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
			receive(text);
		}
		webSocket.request(1);
		return null;
	}

	private void receive(String text) {
		JsonNode frame = parse(text);
		if (frame == null) {
			this.malformed.incrementAndGet();
			return;
		}
		accept(frame, text);
	}

	private void accept(JsonNode frame, String text) {
		this.counts.computeIfAbsent(frame.get(3).asString(), (event) -> new AtomicInteger()).incrementAndGet();
		synchronized (this.views) {
			PresenceView view = this.views.get(frame.get(2).asString());
			if (view != null) {
				view.apply(frame);
			}
		}
		if (this.kept.test(frame)) {
			this.texts.add(text);
			this.received.add(frame);
			synchronized (this.inbox) {
				this.inbox.add(frame);
			}
		}
	}

	/**
	 * A frame as a {@code 2.0.0} array, or {@code null} if it is no Phoenix frame: not
	 * JSON, not an array of five (or a {@code 1.0.0} object where the connection did not
	 * ask for arrays), or with a payload that is not an object.
	 */
	private @Nullable JsonNode parse(String text) {
		JsonNode frame;
		try {
			JsonNode tree = MAPPER.readTree(text);
			if (this.arrays && !tree.isArray()) {
				return null;
			}
			frame = asArray(tree);
		}
		catch (RuntimeException ex) {
			return null;
		}
		boolean phoenix = frame.size() == 5 && frame.get(2).isString() && frame.get(3).isString()
				&& frame.get(4).isObject();
		return phoenix ? frame : null;
	}

	/**
	 * A binary frame: a user broadcast (kind 4, the only binary frame the server sends) is
	 * read into the frame supabase-js makes of it,
	 * {@code [null, null, topic, "broadcast", {type, event, payload}]}, marked with
	 * {@code "binaryFrame": true}; a binary payload is given as Base64 text. Any other
	 * binary frame counts as malformed.
	 */
	@Override
	public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
		byte[] bytes = new byte[data.remaining()];
		data.get(bytes);
		this.partialBinary.writeBytes(bytes);
		if (last) {
			byte[] message = this.partialBinary.toByteArray();
			this.partialBinary.reset();
			JsonNode frame = userBroadcast(message);
			if (frame != null) {
				accept(frame, "<binary>");
			}
			else {
				this.texts.add("<binary>");
				this.malformed.incrementAndGet();
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
		this.closeReason = "closed " + statusCode + " " + reason;
		this.closed.complete(statusCode);
		return null;
	}

	@Override
	public void onError(WebSocket webSocket, Throwable error) {
		this.closeReason = "error " + error;
		this.closed.complete(-1);
	}

	private static JsonNode asArray(JsonNode frame) {
		if (frame.isArray()) {
			return frame;
		}
		if (!frame.isObject()) {
			return MAPPER.createArrayNode();
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
		synchronized (this.sending) {
			socket().sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
		}
	}

	/**
	 * Send, and go on if the server closed the connection meanwhile, or if the text could
	 * not be sent (a lone surrogate); a client whose output that closed counts as closed.
	 */
	public void sendIgnoringFailure(String text) {
		WebSocket socket = socket();
		synchronized (this.sending) {
			try {
				socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
			}
			catch (RuntimeException ex) {
				if (socket.isOutputClosed() && !this.closed.isDone()) {
					this.closeReason = "output closed by a failed send: " + ex;
					this.closed.complete(-1);
				}
			}
		}
	}

	public void sendBinary(byte[] bytes) {
		synchronized (this.sending) {
			socket().sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
		}
	}

	/**
	 * Send a binary frame, and go on as {@link #sendIgnoringFailure(String)} does.
	 */
	public void sendBinaryIgnoringFailure(byte[] bytes) {
		WebSocket socket = socket();
		synchronized (this.sending) {
			try {
				socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
			}
			catch (RuntimeException ex) {
				if (socket.isOutputClosed() && !this.closed.isDone()) {
					this.closeReason = "output closed by a failed send: " + ex;
					this.closed.complete(-1);
				}
			}
		}
	}

	/**
	 * Name this client in failure messages.
	 * @return this client
	 */
	public PhoenixSocket named(String name) {
		this.name = name;
		return this;
	}

	public String name() {
		return this.name;
	}

	/**
	 * Keep, from now on, only the frames that match: the others are counted
	 * ({@link #count(String)}) and folded into the views of watched topics, then dropped,
	 * so that a long or heavy run holds nothing per frame.
	 * @return this client
	 */
	public PhoenixSocket keepOnly(Predicate<JsonNode> frames) {
		this.kept = frames;
		return this;
	}

	/**
	 * How many frames of an event this client received, kept or not.
	 */
	public int count(String event) {
		AtomicInteger count = this.counts.get(event);
		return (count != null) ? count.get() : 0;
	}

	/**
	 * How many frames the server sent that are no Phoenix frames: not JSON, binary, not
	 * five elements, or with a payload that is not an object. They are not kept.
	 */
	public int malformedFrames() {
		return this.malformed.get();
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
			throw new AssertionError(this.name + ": join of " + topic + " refused: " + reply);
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
			throw new AssertionError(this.name + ": track in " + topic + " refused: " + reply);
		}
	}

	/**
	 * Join a topic with presence enabled, with a join ref of this client's choosing, and
	 * wait for the ok reply. The presence frames of this join, and of no earlier one, are
	 * folded into a new view of the topic.
	 * @return the view of the topic
	 */
	public PresenceView join(String topic, String key) {
		String joinRef = nextRef();
		PresenceView view = new PresenceView(joinRef);
		synchronized (this.views) {
			this.views.put(topic, view);
			this.joinRefs.put(topic, joinRef);
		}
		join(topic, joinRef, key);
		return view;
	}

	/**
	 * Track a state in a topic joined with {@link #join(String, String)}, and wait for the ok
	 * reply.
	 */
	public void track(String topic, Map<String, ?> state) {
		track(topic, joinRefOf(topic), nextRef(), MAPPER.writeValueAsString(state));
	}

	/**
	 * Untrack in a topic joined with {@link #join(String, String)}, and wait for the ok
	 * reply.
	 */
	public void untrack(String topic) {
		String ref = nextRef();
		send(Frames.untrack(topic, joinRefOf(topic), ref));
		awaitOk(ref, topic, "untrack");
	}

	/**
	 * Leave a topic joined with {@link #join(String, String)}, and wait for the ok reply.
	 */
	public void leave(String topic) {
		String ref = nextRef();
		send(Frames.frame(joinRefOf(topic), ref, topic, "phx_leave", "{}"));
		awaitOk(ref, topic, "phx_leave");
		synchronized (this.views) {
			this.joinRefs.remove(topic);
		}
	}

	/**
	 * The view of a topic joined with {@link #join(String, String)}.
	 */
	public PresenceView view(String topic) {
		synchronized (this.views) {
			PresenceView view = this.views.get(topic);
			if (view == null || !this.joinRefs.containsKey(topic)) {
				throw new IllegalStateException(this.name + " has not joined " + topic);
			}
			return view;
		}
	}

	private void awaitOk(String ref, String topic, String what) {
		JsonNode reply = reply(ref);
		if (!"ok".equals(reply.get(4).get("status").asString())) {
			throw new AssertionError(this.name + ": " + what + " in " + topic + " refused: " + reply);
		}
	}

	private String joinRefOf(String topic) {
		synchronized (this.views) {
			String joinRef = this.joinRefs.get(topic);
			if (joinRef == null) {
				throw new IllegalStateException(this.name + " has not joined " + topic);
			}
			return joinRef;
		}
	}

	/**
	 * A ref no other frame of this client has, for frames a test sends itself.
	 */
	public String nextRef() {
		return "c" + this.refs.incrementAndGet();
	}

	/**
	 * Start folding the presence frames of a topic into a view. Call before joining.
	 */
	public PresenceView watch(String topic) {
		synchronized (this.views) {
			return this.views.computeIfAbsent(topic, (key) -> new PresenceView(null));
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

	/**
	 * The first frame not taken yet that matches, waiting for it at most so long, or for
	 * the connection to close.
	 */
	public JsonNode next(Predicate<JsonNode> matching, Duration within) {
		AtomicReference<JsonNode> found = new AtomicReference<>();
		AtomicReference<String> closedWithout = new AtomicReference<>();
		try {
			ConditionFactory polling = await().atMost(within)
				.pollInSameThread()
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(5));
			polling.until(() -> {
				// frames come before the close: closed before the search, no frame is missed
				boolean closedBefore = this.closed.isDone();
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
				if (closedBefore) {
					closedWithout.set(this.closeReason);
				}
				return closedBefore;
			});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(this.name + ": no matching frame within " + within
					+ " among the last frames received: " + lastReceived(), ex);
		}
		if (found.get() == null) {
			throw new AssertionError(this.name + ": connection " + closedWithout.get()
					+ " before a matching frame; the last frames received: " + lastReceived());
		}
		return found.get();
	}

	private List<JsonNode> lastReceived() {
		List<JsonNode> received = received();
		return received.subList(Math.max(0, received.size() - 20), received.size());
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
	 * Every frame received and kept (see {@link #keepOnly(Predicate)}) so far, taken or
	 * not, as it grows.
	 */
	public List<JsonNode> received() {
		return Collections.unmodifiableList(this.received);
	}

	/**
	 * The text of every frame received and kept so far ({@code <binary>} for a binary
	 * one).
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
	 * Whether the connection ended without this client closing or aborting it.
	 */
	public boolean droppedByServer() {
		return this.closed.isDone() && !this.closedByClient;
	}

	/**
	 * How the connection ended ({@code closed <status> <reason>} or {@code error ...}), or
	 * {@code open}.
	 */
	public String closeReason() {
		return this.closeReason;
	}

	/**
	 * Drop the connection without a close frame, as a client that vanished.
	 */
	public void abort() {
		this.closedByClient = true;
		WebSocket socket = this.socket;
		if (socket != null) {
			socket.abort();
		}
	}

	/**
	 * Close cleanly: send a close frame (1000) and wait a little for the server's, then drop
	 * the connection.
	 */
	@Override
	public void close() {
		close(WebSocket.NORMAL_CLOSURE, "bye");
	}

	/**
	 * Close with a status and reason of the test's choosing, as {@link #close()} does.
	 */
	public void close(int statusCode, String reason) {
		this.closedByClient = true;
		WebSocket socket = this.socket;
		if (socket != null && !socket.isOutputClosed()) {
			socket.sendClose(statusCode, reason)
				.orTimeout(5, TimeUnit.SECONDS)
				.exceptionally((ex) -> null)
				.join();
			try {
				this.closed.copy().get(5, TimeUnit.SECONDS);
			}
			catch (TimeoutException | ExecutionException ex) {
				// dropped below
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		if (socket != null) {
			socket.abort();
		}
	}

	public static ConditionFactory eventually() {
		return await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
	}

	/**
	 * The presence state of one topic as the Supabase client computes it
	 * (docs/protocol.md §3.6): key to metas, the {@code phx_ref} their only identity; diffs
	 * that arrive before the first {@code presence_state} are held back; a state is turned
	 * into a diff against what the view holds; joins go before leaves. It records each
	 * join and leave as the client's {@code onJoin} and {@code onLeave} would report it.
	 */
	public static final class PresenceView {

		private final @Nullable String joinRef;

		private final Map<String, List<JsonNode>> state = new LinkedHashMap<>();

		private final List<JsonNode> pending = new ArrayList<>();

		private final List<Change> changes = new ArrayList<>();

		private boolean synced;

		private int diffs;

		/**
		 * @param joinRef the join whose frames the view folds; {@code null} folds those of
		 * any join
		 */
		private PresenceView(@Nullable String joinRef) {
			this.joinRef = joinRef;
		}

		public synchronized void apply(JsonNode frame) {
			String frameJoinRef = frame.get(0).asString(null);
			if (this.joinRef != null && frameJoinRef != null && !this.joinRef.equals(frameJoinRef)) {
				return;
			}
			String event = frame.get(3).asString();
			if ("presence_state".equals(event)) {
				syncState(frame.get(4));
				this.synced = true;
				this.pending.forEach(this::syncDiff);
				this.pending.clear();
			}
			else if ("presence_diff".equals(event)) {
				this.diffs++;
				if (this.synced) {
					syncDiff(frame.get(4));
				}
				else {
					this.pending.add(frame.get(4));
				}
			}
		}

		private void syncState(JsonNode newState) {
			Map<String, List<JsonNode>> joins = new LinkedHashMap<>();
			Map<String, List<JsonNode>> leaves = new LinkedHashMap<>();
			this.state.forEach((key, metas) -> {
				if (!newState.has(key)) {
					leaves.put(key, metas);
				}
			});
			newState.properties().forEach((entry) -> {
				List<JsonNode> newMetas = metas(entry.getValue());
				List<JsonNode> current = this.state.getOrDefault(entry.getKey(), List.of());
				List<JsonNode> joined = without(newMetas, refs(current));
				List<JsonNode> left = without(current, refs(newMetas));
				if (!joined.isEmpty()) {
					joins.put(entry.getKey(), joined);
				}
				if (!left.isEmpty()) {
					leaves.put(entry.getKey(), left);
				}
			});
			sync(joins, leaves);
		}

		private void syncDiff(JsonNode diff) {
			Map<String, List<JsonNode>> joins = new LinkedHashMap<>();
			diff.get("joins").properties().forEach((entry) -> joins.put(entry.getKey(), metas(entry.getValue())));
			Map<String, List<JsonNode>> leaves = new LinkedHashMap<>();
			diff.get("leaves").properties().forEach((entry) -> leaves.put(entry.getKey(), metas(entry.getValue())));
			sync(joins, leaves);
		}

		private void sync(Map<String, List<JsonNode>> joins, Map<String, List<JsonNode>> leaves) {
			long now = System.nanoTime();
			joins.forEach((key, newMetas) -> {
				List<JsonNode> metas = without(this.state.getOrDefault(key, List.of()), refs(newMetas));
				metas.addAll(newMetas);
				this.state.put(key, metas);
				newMetas.forEach((meta) -> this.changes.add(new Change("join", key, meta, now)));
			});
			leaves.forEach((key, leftMetas) -> {
				List<JsonNode> current = this.state.get(key);
				if (current == null) {
					return;
				}
				List<JsonNode> remaining = without(current, refs(leftMetas));
				if (remaining.isEmpty()) {
					this.state.remove(key);
				}
				else {
					this.state.put(key, remaining);
				}
				leftMetas.forEach((meta) -> this.changes.add(new Change("leave", key, meta, now)));
			});
		}

		private static List<JsonNode> metas(JsonNode byKey) {
			List<JsonNode> metas = new ArrayList<>();
			byKey.get("metas").forEach(metas::add);
			return metas;
		}

		private static List<String> refs(List<JsonNode> metas) {
			return metas.stream().map(Change::refOf).toList();
		}

		private static List<JsonNode> without(List<JsonNode> metas, List<String> refs) {
			List<JsonNode> kept = new ArrayList<>(metas);
			kept.removeIf((meta) -> refs.contains(Change.refOf(meta)));
			return kept;
		}

		/**
		 * Key to the tracked states (metas without their refs).
		 */
		public synchronized Map<String, List<JsonNode>> states() {
			Map<String, List<JsonNode>> states = new LinkedHashMap<>();
			this.state.forEach((key, metas) -> states.put(key, metas.stream().map(Change::withoutRefs).toList()));
			return states;
		}

		/**
		 * Key to the metas, with their refs, in the client's order.
		 */
		public synchronized Map<String, List<JsonNode>> metas() {
			Map<String, List<JsonNode>> metas = new LinkedHashMap<>();
			this.state.forEach((key, list) -> metas.put(key, List.copyOf(list)));
			return metas;
		}

		/**
		 * Whether the first {@code presence_state} arrived.
		 */
		public synchronized boolean synced() {
			return this.synced;
		}

		/**
		 * Every join and leave so far, in order.
		 */
		public synchronized List<Change> changes() {
			return List.copyOf(this.changes);
		}

		public synchronized int diffs() {
			return this.diffs;
		}

	}

	/**
	 * One presence that joined or left a {@link PresenceView}.
	 * @param kind {@code join} or {@code leave}
	 * @param key the presence key
	 * @param meta the meta, with its refs
	 * @param nanos when the view saw it ({@link System#nanoTime()})
	 */
	public record Change(String kind, String key, JsonNode meta, long nanos) {

		public String ref() {
			return refOf(this.meta);
		}

		/**
		 * The tracked state: the meta without {@code phx_ref} and {@code phx_ref_prev}.
		 */
		public JsonNode state() {
			return withoutRefs(this.meta);
		}

		static String refOf(JsonNode meta) {
			return meta.get("phx_ref").asString();
		}

		static JsonNode withoutRefs(JsonNode meta) {
			ObjectNode copy = ((ObjectNode) meta).deepCopy();
			copy.remove("phx_ref");
			copy.remove("phx_ref_prev");
			return copy;
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

		/**
		 * A {@code broadcast} push as supabase-js sends it as text.
		 * @param payload the broadcast's payload, JSON
		 */
		public static String broadcast(String topic, String joinRef, String ref, String event, String payload) {
			ObjectNode body = MAPPER.createObjectNode();
			body.put("type", "broadcast");
			body.put("event", event);
			body.set("payload", MAPPER.readTree(payload));
			return frame(joinRef, ref, topic, "broadcast", body.toString());
		}

		/**
		 * The binary "user broadcast push" (kind 3) supabase-js sends for
		 * {@code channel.send({type: 'broadcast'})} under version 2.0.0: one byte each for
		 * the kind, the lengths of join ref, ref, topic, event and (empty) metadata, and the
		 * payload encoding; then those strings; then the payload.
		 * @param encoding {@code 1} for a JSON payload, {@code 0} for raw bytes
		 */
		public static byte[] userBroadcastPush(String joinRef, String ref, String topic, String event, int encoding,
				byte[] payload) {
			byte[][] fields = { joinRef.getBytes(StandardCharsets.UTF_8), ref.getBytes(StandardCharsets.UTF_8),
					topic.getBytes(StandardCharsets.UTF_8), event.getBytes(StandardCharsets.UTF_8), new byte[0] };
			ByteArrayOutputStream frame = new ByteArrayOutputStream();
			frame.write(3);
			for (byte[] field : fields) {
				frame.write(field.length);
			}
			frame.write(encoding);
			for (byte[] field : fields) {
				frame.writeBytes(field);
			}
			frame.writeBytes(payload);
			return frame.toByteArray();
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
