package dev.presence.websocket.servlet;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.web.socket.BinaryMessage;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;

import dev.presence.websocket.OutboundFrame;

/**
 * Writes encoded text frames to one WebSocket session, blocking until each is written.
 * <p>
 * Spring's {@code WebSocketSession}, like the Jakarta WebSocket API under it, takes text
 * only as a {@code String}, which the container encodes to UTF-8 again for every session:
 * a topic's state sent to a thousand joiners was encoded a thousand times, and that was a
 * quarter of the CPU of a mass join. On Tomcat (the container Spring Boot starts by
 * default), the bytes encoded once per frame are written as they are, through the
 * method Tomcat's own text sends end in; the handles to it are looked up once per
 * session class. Where that method is not there (another container, a Tomcat that
 * changed it) frames go through {@code WebSocketSession.sendMessage} as strings, which
 * is correct, only slower. The binary frames of broadcasts (version 2.0.0) take the same
 * path with the binary opcode, or go as Spring binary messages. Not thread-safe: one
 * thread writes at a time (the outbox's).
 */
abstract sealed class TextFrameWriter {

	private static final Log logger = LogFactory.getLog(TextFrameWriter.class);

	/**
	 * Handles into Tomcat's session class, or empty where it is not Tomcat's (looked up
	 * once per class).
	 */
	private static final ClassValue<Optional<TomcatHandles>> TOMCAT = new ClassValue<>() {
		@Override
		protected Optional<TomcatHandles> computeValue(Class<?> type) {
			return TomcatHandles.lookUp(type);
		}
	};

	/**
	 * Frames of at most this size are gathered into the container's output buffer when
	 * more follow; a larger one goes out on its own, straight from its array.
	 */
	static final int BATCHED_FRAME_LIMIT = 4096;

	private final RemoteEndpoint.@Nullable Basic remote;

	private boolean batching;

	TextFrameWriter(RemoteEndpoint.@Nullable Basic remote) {
		this.remote = remote;
	}

	/**
	 * The writer for a session: Tomcat's byte path where it is available.
	 */
	static TextFrameWriter of(WebSocketSession session) {
		if (session instanceof NativeWebSocketSession nativeSession) {
			Object container = nativeSession.getNativeSession();
			RemoteEndpoint.Basic remote = (container instanceof Session jakarta) ? jakarta.getBasicRemote() : null;
			if (container != null) {
				Optional<TomcatHandles> tomcat = TOMCAT.get(container.getClass());
				if (tomcat.isPresent()) {
					try {
						return new TomcatBytes(remote, tomcat.get(), tomcat.get().endpoint(container));
					}
					catch (RuntimeException ex) {
						logger.debug("Sending strings to connection " + session.getId() + ": " + ex);
					}
				}
			}
			return new Strings(remote, session);
		}
		return new Strings(null, session);
	}

	/**
	 * Whether sessions of this container class are written as bytes.
	 */
	static boolean writesBytes(Class<?> nativeSessionType) {
		return TOMCAT.get(nativeSessionType).isPresent();
	}

	/**
	 * Write one frame, blocking until it is written (or the container's send timeout).
	 * <p>
	 * Small frames with more to follow are batched (Jakarta WebSocket's batching, which
	 * Tomcat implements with the session's output buffer): a client's backlog goes out in
	 * a few socket writes rather than one per frame. The batch is flushed with the last
	 * frame of the backlog ({@code more} false), before a large frame, and by
	 * {@link #flush()}; so nothing waits in the buffer once the writer stops.
	 * @param frame the frame
	 * @param more whether the caller has more frames to write at once after this one
	 */
	void write(OutboundFrame.Encoded frame, boolean more) throws IOException {
		boolean small = frame.bytes() <= BATCHED_FRAME_LIMIT;
		if (small && more && !this.batching) {
			batching(true);
		}
		else if (!small && this.batching) {
			batching(false);
		}
		writeFrame(frame);
		if (!more && this.batching) {
			batching(false);
		}
	}

	/**
	 * Write out what is batched, if anything.
	 */
	void flush() throws IOException {
		if (this.batching) {
			batching(false);
		}
	}

	private void batching(boolean on) throws IOException {
		RemoteEndpoint.Basic remote = this.remote;
		if (remote != null) {
			// turning it off writes out what is batched
			remote.setBatchingAllowed(on);
			this.batching = on;
		}
	}

	abstract void writeFrame(OutboundFrame.Encoded frame) throws IOException;

	/**
	 * Frames sent as strings, through Spring's session.
	 */
	private static final class Strings extends TextFrameWriter {

		private final WebSocketSession session;

		Strings(RemoteEndpoint.@Nullable Basic remote, WebSocketSession session) {
			super(remote);
			this.session = session;
		}

		@Override
		void writeFrame(OutboundFrame.Encoded frame) throws IOException {
			if (frame.binary()) {
				this.session.sendMessage(frame.adapted(BinaryMessage.class, BinaryMessage::new));
			}
			else {
				this.session.sendMessage(frame.adapted(TextMessage.class,
						(utf8) -> new TextMessage(new String(utf8, StandardCharsets.UTF_8))));
			}
		}

	}

	/**
	 * Frames sent as their UTF-8 bytes on Tomcat: one unfragmented text frame each, the
	 * payload written straight from the shared array.
	 */
	private static final class TomcatBytes extends TextFrameWriter {

		private static final byte TEXT = 0x1;

		private static final byte BINARY = 0x2;

		private final TomcatHandles handles;

		private final Object endpoint;

		TomcatBytes(RemoteEndpoint.@Nullable Basic remote, TomcatHandles handles, Object endpoint) {
			super(remote);
			this.handles = handles;
			this.endpoint = endpoint;
		}

		@Override
		void writeFrame(OutboundFrame.Encoded frame) throws IOException {
			// a view of its own per session: the array is shared, positions are not
			this.handles.send(this.endpoint, frame.binary() ? BINARY : TEXT,
					ByteBuffer.wrap(frame.utf8()).asReadOnlyBuffer());
		}

	}

	/**
	 * {@code WsSession.wsRemoteEndpoint} and
	 * {@code WsRemoteEndpointImplBase.sendMessageBlock(byte, ByteBuffer, boolean)}: the
	 * blocking send of one frame with a given opcode that every one of Tomcat's sends
	 * (text, binary, ping, close) goes through. It honours the session's blocking send
	 * timeout and its lock on the connection.
	 */
	private record TomcatHandles(MethodHandle endpointOfSession, MethodHandle sendMessageBlock) {

		private static final String SESSION_CLASS = "org.apache.tomcat.websocket.WsSession";

		static Optional<TomcatHandles> lookUp(Class<?> type) {
			if (!type.getName().equals(SESSION_CLASS)) {
				return Optional.empty();
			}
			try {
				Field field = type.getDeclaredField("wsRemoteEndpoint");
				MethodHandle getter = MethodHandles.privateLookupIn(type, MethodHandles.lookup())
					.unreflectGetter(field)
					.asType(MethodType.methodType(Object.class, Object.class));
				Class<?> endpointType = field.getType();
				MethodHandle send = MethodHandles.privateLookupIn(endpointType, MethodHandles.lookup())
					.findVirtual(endpointType, "sendMessageBlock",
							MethodType.methodType(void.class, byte.class, ByteBuffer.class, boolean.class))
					.asType(MethodType.methodType(void.class, Object.class, byte.class, ByteBuffer.class,
							boolean.class));
				return Optional.of(new TomcatHandles(getter, send));
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				logger.info("Frames to Tomcat WebSocket sessions go as strings, encoded to UTF-8 per session: "
						+ "this Tomcat has no " + SESSION_CLASS + ".wsRemoteEndpoint.sendMessageBlock(byte, "
						+ "ByteBuffer, boolean) to send encoded bytes (" + ex + ")");
				return Optional.empty();
			}
		}

		Object endpoint(Object session) {
			try {
				return (Object) this.endpointOfSession.invokeExact(session);
			}
			catch (RuntimeException | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		}

		void send(Object endpoint, byte opcode, ByteBuffer payload) throws IOException {
			try {
				this.sendMessageBlock.invokeExact(endpoint, opcode, payload, true);
			}
			catch (IOException | RuntimeException | Error ex) {
				throw ex;
			}
			catch (Throwable ex) {
				throw new IOException(ex);
			}
		}

	}

}
