package dev.presence.websocket.netty;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.netty.http.websocket.WebsocketOutbound;

import dev.presence.websocket.ClientBacklog;
import dev.presence.websocket.ClientTransport;
import dev.presence.websocket.ConnectionMonitor;
import dev.presence.websocket.OutboundFrame;
import dev.presence.websocket.PhoenixConnection;

/**
 * The Reactor Netty transport of one client ({@link ClientTransport}). Frames are queued
 * (bounded by the client's {@link ClientBacklog}) and written on the channel's event loop:
 * what has queued up by the time the loop comes goes out as one batch of writes and one
 * flush. Every client of a frame is written the same bytes: one unreleasable heap buffer
 * per encoded frame, of which each write takes a duplicate (a view, not a copy).
 * <p>
 * The channel's writability is the backpressure: the loop stops handing frames to Netty
 * while the channel's outbound buffer is above its high water mark, and goes on when it
 * drains. A client is closed with status 4500 as soon as its backlog would pass the send
 * buffer size, or when its channel has been unwritable for longer than the send time
 * limit. The transport also assembles the client's fragmented text frames, within the
 * maximum frame size, before the protocol reads them.
 */
final class NettyClientTransport implements ClientTransport {

	private static final Log logger = LogFactory.getLog(NettyClientTransport.class);

	/** Close status of a client that did not keep up with what it was sent. */
	private static final int TOO_SLOW = 4500;

	/** How long a close frame may take to reach the client before the channel is closed anyway. */
	private static final long CLOSE_GRACE_MILLIS = 1000;

	private final String id;

	private final Channel channel;

	private final WebsocketOutbound outbound;

	private final long sendTimeLimitNanos;

	private final ConnectionMonitor monitor;

	// guarded by this
	private final ClientBacklog backlog;

	private boolean draining;

	private boolean closing;

	// when the channel went unwritable, on the System.nanoTime() clock; 0 while writable
	private volatile long unwritableSinceNanos;

	NettyClientTransport(String id, Channel channel, WebsocketOutbound outbound, long maxBacklog,
			long sendTimeLimitNanos, ConnectionMonitor monitor) {
		this.id = id;
		this.channel = channel;
		this.outbound = outbound;
		this.backlog = new ClientBacklog(maxBacklog);
		this.sendTimeLimitNanos = sendTimeLimitNanos;
		this.monitor = monitor;
	}

	@Override
	public String id() {
		return this.id;
	}

	/**
	 * The pipeline handler that tells this transport when its channel can take writes
	 * again.
	 */
	ChannelInboundHandlerAdapter writabilityHandler() {
		return new ChannelInboundHandlerAdapter() {

			@Override
			public void channelWritabilityChanged(ChannelHandlerContext context) {
				if (context.channel().isWritable()) {
					NettyClientTransport.this.unwritableSinceNanos = 0;
					drain();
				}
				else {
					NettyClientTransport.this.unwritableSinceNanos = System.nanoTime() | 1;
				}
				context.fireChannelWritabilityChanged();
			}

		};
	}

	@Override
	public void send(OutboundFrame.Encoded frame) {
		boolean tooSlow;
		boolean start = false;
		synchronized (this) {
			if (this.closing) {
				return;
			}
			tooSlow = !this.backlog.offer(frame);
			if (!tooSlow && !this.draining) {
				this.draining = true;
				start = true;
			}
		}
		if (tooSlow) {
			tooSlow("its backlog passed the send buffer size");
		}
		else if (start) {
			this.channel.eventLoop().execute(this::drain);
		}
	}

	/**
	 * Hand what is queued to the channel while it is writable, then flush once. Runs on
	 * the channel's event loop; a channel that went unwritable is drained again when its
	 * writability comes back.
	 */
	private void drain() {
		boolean wrote = false;
		while (this.channel.isWritable()) {
			OutboundFrame.Encoded next;
			synchronized (this) {
				next = this.closing ? null : this.backlog.poll();
				if (next == null) {
					this.draining = false;
				}
			}
			if (next == null) {
				break;
			}
			ByteBuf shared = next.adapted(ByteBuf.class,
					(utf8) -> Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(utf8)));
			WebSocketFrame frame = next.binary() ? new BinaryWebSocketFrame(shared.duplicate())
					: new TextWebSocketFrame(shared.duplicate());
			this.channel.write(frame, this.channel.voidPromise());
			wrote = true;
		}
		if (wrote) {
			this.channel.flush();
		}
	}

	/**
	 * Completed once the channel is closed.
	 */
	ChannelFuture closeFuture() {
		return this.channel.closeFuture();
	}

	@Override
	public void closeIfStuck(long now) {
		long since = this.unwritableSinceNanos;
		if (since != 0 && now - since > this.sendTimeLimitNanos) {
			tooSlow("its channel stayed unwritable longer than the send time limit");
		}
	}

	private void tooSlow(String why) {
		if (close(TOO_SLOW, "client too slow")) {
			logger.info("Closing connection " + this.id + ", it does not keep up: " + why);
			this.monitor.slowClientClosed();
		}
	}

	@Override
	public boolean close(int status, String reason) {
		synchronized (this) {
			if (this.closing) {
				return false;
			}
			this.closing = true;
			this.backlog.clear();
		}
		this.channel.eventLoop().execute(() -> {
			this.outbound.sendClose(status, reason).subscribe(null, (ex) -> this.channel.close());
			// a client that does not read never takes the close frame: end the connection anyway
			this.channel.eventLoop().schedule(() -> {
				this.channel.close();
			}, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
		});
		return true;
	}

	/**
	 * Assembles a client's frames into the messages the protocol reads: a fragmented
	 * message is gathered (within the maximum frame size) before it is decoded, so a
	 * character split between fragments arrives whole. The size of a message is checked
	 * here, on its bytes, once. Used by one event loop at a time.
	 */
	static final class FrameAssembler {

		private final PhoenixConnection connection;

		private final int maxFrameBytes;

		private byte @Nullable [] partial;

		private int partialLength;

		private boolean binary;

		private boolean discarding;

		FrameAssembler(PhoenixConnection connection, int maxFrameBytes) {
			this.connection = connection;
			this.maxFrameBytes = maxFrameBytes;
		}

		void accept(WebSocketFrame frame) {
			boolean last = frame.isFinalFragment();
			if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
				this.binary = frame instanceof BinaryWebSocketFrame;
				this.discarding = false;
				this.partialLength = 0;
				if (!last) {
					append(frame.content());
				}
				else if (frame.content().readableBytes() > this.maxFrameBytes) {
					this.connection.rejectOversizedFrame();
				}
				else if (this.binary) {
					this.connection.receiveBinaryMessage(ByteBufUtil.getBytes(frame.content()));
				}
				else {
					this.connection.receiveMessage(frame.content().toString(StandardCharsets.UTF_8));
				}
			}
			else if (frame instanceof ContinuationWebSocketFrame) {
				if (this.discarding) {
					this.discarding = !last;
					return;
				}
				append(frame.content());
				if (last && !this.discarding) {
					byte[] partial = this.partial;
					byte[] whole = (partial != null) ? Arrays.copyOf(partial, this.partialLength) : new byte[0];
					this.partial = null;
					this.partialLength = 0;
					if (this.binary) {
						this.connection.receiveBinaryMessage(whole);
					}
					else {
						this.connection.receiveMessage(new String(whole, StandardCharsets.UTF_8));
					}
				}
			}
		}

		private void append(ByteBuf content) {
			int length = content.readableBytes();
			if ((long) this.partialLength + length > this.maxFrameBytes) {
				this.partial = null;
				this.partialLength = 0;
				this.discarding = true;
				this.connection.rejectOversizedFrame();
				return;
			}
			byte[] partial = this.partial;
			if (partial == null || partial.length < this.partialLength + length) {
				int size = Math.max(this.partialLength + length, (partial != null) ? partial.length * 2 : 1024);
				partial = (partial != null) ? Arrays.copyOf(partial, Math.min(size, this.maxFrameBytes))
						: new byte[Math.min(size, this.maxFrameBytes)];
				this.partial = partial;
			}
			content.getBytes(content.readerIndex(), partial, this.partialLength, length);
			this.partialLength += length;
		}

	}

}
