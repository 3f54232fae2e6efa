package dev.presence.benchmarks;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketClientCompressionHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Opens {@link PhoenixClient} connections on a small shared Netty event loop: a
 * connection costs a socket and a few KiB, so one JVM holds tens of thousands (raise
 * {@code ulimit -n} above the number of clients).
 */
final class WebSocketClients implements AutoCloseable {

	private static final int MAX_FRAME = 64 * 1024 * 1024;

	private final EventLoopGroup group;

	private final boolean offerDeflate;

	/**
	 * @param threads event loop threads
	 * @param offerDeflate whether the handshake offers {@code permessage-deflate}, as every
	 * browser and Node's {@code ws} do (the server decides whether to use it)
	 */
	WebSocketClients(int threads, boolean offerDeflate) {
		this.offerDeflate = offerDeflate;
		this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("driver-io", true),
				NioIoHandler.newFactory());
	}

	/**
	 * Open one connection.
	 * @return a future completed once the WebSocket handshake is done
	 */
	CompletableFuture<PhoenixClient> open(URI uri, PhoenixClient client) {
		CompletableFuture<PhoenixClient> opened = new CompletableFuture<>();
		WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
			.webSocketUri(uri)
			.version(WebSocketVersion.V13)
			.maxFramePayloadLength(MAX_FRAME)
			.handshakeTimeoutMillis(30_000)
			.dropPongFrames(true)
			.allowExtensions(this.offerDeflate)
			.build();
		new Bootstrap().group(this.group)
			.channel(NioSocketChannel.class)
			.option(ChannelOption.TCP_NODELAY, true)
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
			.handler(new ChannelInitializer<SocketChannel>() {
				@Override
				protected void initChannel(SocketChannel channel) {
					channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536));
					if (WebSocketClients.this.offerDeflate) {
						channel.pipeline().addLast(new WebSocketClientCompressionHandler(0));
					}
					channel.pipeline()
						.addLast(new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(MAX_FRAME),
								new Handler(client, opened));
				}
			})
			.connect(uri.getHost(), uri.getPort())
			.addListener((future) -> {
				if (!future.isSuccess()) {
					opened.completeExceptionally(future.cause());
				}
			});
		return opened;
	}

	/**
	 * Open many connections, at most {@code parallel} handshakes at a time.
	 * @return the clients that opened; failures are counted in {@code stats}
	 */
	List<PhoenixClient> openAll(URI uri, int count, int parallel, ClientStats stats, Supplier<PhoenixClient> factory)
			throws InterruptedException {
		List<PhoenixClient> clients = new ArrayList<>(count);
		for (int start = 0; start < count; start += parallel) {
			List<CompletableFuture<PhoenixClient>> batch = new ArrayList<>();
			for (int i = start; i < Math.min(count, start + parallel); i++) {
				batch.add(open(uri, factory.get()));
			}
			for (CompletableFuture<PhoenixClient> future : batch) {
				try {
					clients.add(future.get(60, TimeUnit.SECONDS));
				}
				catch (InterruptedException ex) {
					throw ex;
				}
				catch (Exception ex) {
					stats.connectFailures.increment();
				}
			}
		}
		return clients;
	}

	/**
	 * Close clients and wait until they are closed.
	 */
	static void closeAll(List<PhoenixClient> clients) {
		List<CompletableFuture<Void>> closed = new ArrayList<>();
		clients.forEach((client) -> closed.add(client.close()));
		try {
			CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			// best effort
		}
	}

	@Override
	public void close() {
		this.group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
	}

	private static final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {

		private final PhoenixClient client;

		private final CompletableFuture<PhoenixClient> opened;

		Handler(PhoenixClient client, CompletableFuture<PhoenixClient> opened) {
			this.client = client;
			this.opened = opened;
		}

		@Override
		public void userEventTriggered(ChannelHandlerContext context, Object event) throws Exception {
			if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
				this.client.opened(context.channel());
				this.opened.complete(this.client);
			}
			else if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
				this.opened.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
			}
			super.userEventTriggered(context, event);
		}

		@Override
		protected void channelRead0(ChannelHandlerContext context, WebSocketFrame frame) {
			if (frame instanceof TextWebSocketFrame) {
				try {
					this.client.received(frame.content());
				}
				catch (RuntimeException ex) {
					this.client.reply(null, false);
				}
			}
		}

		@Override
		public void channelInactive(ChannelHandlerContext context) throws Exception {
			if (!this.opened.isDone()) {
				this.opened.completeExceptionally(new IllegalStateException("closed before the handshake"));
			}
			else {
				this.client.disconnected();
			}
			super.channelInactive(context);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
			if (!this.opened.isDone()) {
				this.opened.completeExceptionally(cause);
			}
			context.close();
		}

	}

}
