package dev.presence.websocket.netty;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;
import reactor.netty.resources.LoopResources;

import dev.presence.websocket.ClientTransport;
import dev.presence.websocket.PhoenixConnection;
import dev.presence.websocket.PhoenixSerializer;
import dev.presence.websocket.PresenceConnections;

/**
 * The Reactor Netty transport: a WebSocket server of its own, on
 * {@code presence.server.port}, serving the presence endpoint with the same handshake
 * rules as the servlet transport — the {@code vsn} query parameter, allowed origins,
 * {@code permessage-deflate} declined unless compression is on, and the node's connection
 * limit — and the same protocol, through {@link PresenceConnections}. It runs on event
 * loops of its own ({@code presence-netty-*} threads) and needs no servlet container.
 * <p>
 * There is no servlet request, so no Spring Security filter chain and no
 * {@code Principal}: clients authenticate with their token ({@code access_token} in the
 * join, or the {@code apikey} query parameter) through the {@code PresenceAuthenticator},
 * as Supabase clients do. For the same reason no ambient credential (cookie, HTTP login)
 * authenticates anyone here, so with no allowed origins configured every origin is
 * accepted.
 * <p>
 * Stopping closes every connection with {@code 1001} (their presences leave as for any
 * closed connection), then the server and its event loops, within the shutdown timeout.
 */
public final class NettyPresenceServer implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(NettyPresenceServer.class);

	/** Stops with the web server, before the presence store stops. */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

	private final PresenceConnections connections;

	private final NettyServerSettings settings;

	private final List<Pattern> allowedOrigins;

	private final WebsocketServerSpec webSocketSpec;

	private final IntConsumer listening;

	private final Set<NettyClientTransport> open = ConcurrentHashMap.newKeySet();

	private final AtomicLong ids = new AtomicLong();

	private volatile @Nullable DisposableServer server;

	private volatile @Nullable LoopResources loops;

	/**
	 * Create a server; it listens once started.
	 * @param connections the node's connections
	 * @param settings where and how it listens
	 * @param listening told the port once the server listens
	 */
	public NettyPresenceServer(PresenceConnections connections, NettyServerSettings settings, IntConsumer listening) {
		this.connections = connections;
		this.settings = settings;
		this.listening = listening;
		this.allowedOrigins = settings.allowedOrigins().stream().map(NettyPresenceServer::originPattern).toList();
		this.webSocketSpec = WebsocketServerSpec.builder()
			.compress(settings.compression())
			// within twice the limit the protocol closes with its own reason; past it, Netty does
			.maxFramePayloadLength((int) Math.min(Integer.MAX_VALUE, 2L * connections.maxFrameBytes()))
			.build();
	}

	/**
	 * The port the server listens on, once started (useful when configured as {@code 0}).
	 * @return the port, or {@code -1} when not listening
	 */
	public int getPort() {
		DisposableServer server = this.server;
		return (server != null) ? ((InetSocketAddress) server.address()).getPort() : -1;
	}

	@Override
	public void start() {
		if (this.server != null) {
			return;
		}
		int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
		LoopResources loops = LoopResources.create("presence-netty", 1, workers, true);
		HttpServer server = HttpServer.create()
			.runOn(loops)
			.port(this.settings.port())
			.childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
			.handle(this::handle);
		Duration idleTimeout = this.connections.idleTimeout();
		if (!idleTimeout.isZero() && !idleTimeout.isNegative()) {
			// a connection that never sends its request (or its upgrade) is closed
			server = server.idleTimeout(idleTimeout);
		}
		if (this.settings.address() != null) {
			server = server.host(this.settings.address());
		}
		try {
			this.server = server.bindNow();
		}
		catch (RuntimeException ex) {
			loops.dispose();
			throw new IllegalStateException("The presence WebSocket server could not listen on "
					+ ((this.settings.address() != null) ? this.settings.address() + ":" : "port ")
					+ this.settings.port() + " (presence.server.port)", ex);
		}
		this.loops = loops;
		this.listening.accept(getPort());
		logger.info("Presence WebSocket server (Reactor Netty) listening on port " + getPort() + " at "
				+ this.settings.path());
	}

	@Override
	public void stop() {
		DisposableServer server = this.server;
		LoopResources loops = this.loops;
		if (server == null || loops == null) {
			return;
		}
		this.server = null;
		this.loops = null;
		Duration timeout = this.settings.shutdownTimeout();
		long deadline = System.nanoTime() + timeout.toNanos();
		List<ChannelFuture> closing = new ArrayList<>();
		for (NettyClientTransport transport : this.open) {
			transport.close(ClientTransport.GOING_AWAY, "server shutting down");
			closing.add(transport.closeFuture());
		}
		// the close frames go out before the server and its event loops go away
		for (ChannelFuture closed : closing) {
			long left = deadline - System.nanoTime();
			if (left <= 0 || !closed.awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
				logger.debug("Presence server stopping with connections still closing");
				break;
			}
		}
		try {
			server.disposeNow(timeout);
		}
		catch (IllegalStateException ex) {
			logger.debug("Presence server did not stop within " + timeout + ": " + ex);
		}
		loops.disposeLater(Duration.ZERO, timeout).block(timeout.plusSeconds(1));
	}

	@Override
	public boolean isRunning() {
		return this.server != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
		QueryStringDecoder query = new QueryStringDecoder(request.uri());
		if (!this.settings.path().equals(query.path())) {
			return response.sendNotFound();
		}
		if (request.method() != HttpMethod.GET || !request.requestHeaders()
			.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
			return refuse(response, HttpResponseStatus.BAD_REQUEST, "text/plain",
					"Can \"Upgrade\" only to \"WebSocket\".");
		}
		String origin = request.requestHeaders().get(HttpHeaderNames.ORIGIN);
		if (origin != null && !originAllowed(origin, request.requestHeaders().get(HttpHeaderNames.HOST))) {
			return response.status(HttpResponseStatus.FORBIDDEN).send();
		}
		PhoenixSerializer serializer = this.connections.serializer(parameter(query, "vsn"));
		if (serializer == null) {
			return refuse(response, HttpResponseStatus.BAD_REQUEST, "application/json",
					PresenceConnections.unsupportedVersionError());
		}
		String apiKey = parameter(query, "apikey");
		return response.sendWebsocket((in, out) -> serve(in, out, serializer, apiKey), this.webSocketSpec);
	}

	private static Mono<Void> refuse(HttpServerResponse response, HttpResponseStatus status, String contentType,
			String body) {
		return response.status(status)
			.header(HttpHeaderNames.CONTENT_TYPE, contentType)
			.sendString(Mono.just(body), StandardCharsets.UTF_8)
			.then();
	}

	private Publisher<Void> serve(WebsocketInbound in, WebsocketOutbound out, PhoenixSerializer serializer,
			@Nullable String apiKey) {
		Connection[] connection = new Connection[1];
		in.withConnection((opened) -> connection[0] = opened);
		NettyClientTransport transport = new NettyClientTransport("netty-" + this.ids.incrementAndGet(),
				connection[0].channel(), out, this.connections.sendBufferSize(), this.connections.sendTimeLimitNanos(),
				this.connections.monitor());
		connection[0].addHandlerLast("presence-writability", transport.writabilityHandler());
		this.open.add(transport);
		PhoenixConnection phoenix = this.connections.open(transport, serializer, null, apiKey);
		if (phoenix == null) {
			this.open.remove(transport);
			return in.receiveFrames().then();
		}
		NettyClientTransport.FrameAssembler assembler = new NettyClientTransport.FrameAssembler(phoenix,
				this.connections.maxFrameBytes());
		AtomicReference<Object> how = new AtomicReference<>("connection lost");
		in.receiveCloseStatus().subscribe(how::set);
		return in.receiveFrames().doOnNext(assembler::accept).then().doFinally((signal) -> {
			this.open.remove(transport);
			this.connections.closed(transport.id(), how.get());
		});
	}

	private static @Nullable String parameter(QueryStringDecoder query, String name) {
		List<String> values = query.parameters().get(name);
		return (values != null && !values.isEmpty()) ? values.get(0) : null;
	}

	/**
	 * Whether a handshake's {@code Origin} is accepted: any when no origins are configured,
	 * the server's own, or one that matches a configured pattern.
	 */
	private boolean originAllowed(String origin, @Nullable String host) {
		if (this.allowedOrigins.isEmpty()) {
			return true;
		}
		try {
			URI uri = URI.create(origin);
			if (host != null && uri.getRawAuthority() != null && uri.getRawAuthority().equalsIgnoreCase(host)) {
				return true;
			}
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
		String candidate = origin.toLowerCase(Locale.ROOT);
		return this.allowedOrigins.stream().anyMatch((pattern) -> pattern.matcher(candidate).matches());
	}

	/**
	 * An allowed-origins pattern as Spring's {@code setAllowedOriginPatterns} reads it:
	 * {@code *} matches any origin, or any run of characters within a pattern
	 * ({@code https://*.example.com}), and a port of {@code [*]} any port or none.
	 */
	static Pattern originPattern(String pattern) {
		String lower = pattern.trim().toLowerCase(Locale.ROOT);
		if (lower.equals("*")) {
			return Pattern.compile(".*");
		}
		StringBuilder regex = new StringBuilder();
		String port = ":[*]";
		if (lower.endsWith(port)) {
			lower = lower.substring(0, lower.length() - port.length());
		}
		else {
			port = null;
		}
		for (String part : lower.split("\\*", -1)) {
			if (!regex.isEmpty()) {
				regex.append(".*");
			}
			regex.append(Pattern.quote(part));
		}
		if (port != null) {
			regex.append("(:\\d+)?");
		}
		return Pattern.compile(regex.toString());
	}

}
