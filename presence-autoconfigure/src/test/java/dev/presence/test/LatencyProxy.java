package dev.presence.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy on {@code 127.0.0.1} that delays every reply of the server by a fixed
 * latency and counts round trips.
 * <p>
 * Bytes from the client go through at once; bytes from the server are held for the
 * latency, in order, on one scheduler per connection. A round trip, as counted, is a burst
 * of bytes from the client that follows a delivery of bytes to it (or the first one): a
 * client that waits for a reply before it sends on costs one per request, a pipeline sent
 * within the latency costs one whatever its length.
 */
public final class LatencyProxy implements AutoCloseable {

	private static final String HOST = "127.0.0.1";

	private final ServerSocket serverSocket;

	private final String targetHost;

	private final int targetPort;

	private final long latencyNanos;

	private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

	private final AtomicLong roundTrips = new AtomicLong();

	private LatencyProxy(ServerSocket serverSocket, String targetHost, int targetPort, Duration latency) {
		this.serverSocket = serverSocket;
		this.targetHost = targetHost;
		this.targetPort = targetPort;
		this.latencyNanos = latency.toNanos();
	}

	/**
	 * Start a proxy to a server.
	 * @param targetHost the server's host
	 * @param targetPort the server's port
	 * @param latency how long each reply of the server is held
	 * @return the running proxy
	 */
	public static LatencyProxy start(String targetHost, int targetPort, Duration latency) {
		try {
			ServerSocket serverSocket = new ServerSocket(0, 50, InetAddress.getByName(HOST));
			LatencyProxy proxy = new LatencyProxy(serverSocket, targetHost, targetPort, latency);
			Thread acceptor = new Thread(proxy::accept, "latency-proxy-" + serverSocket.getLocalPort());
			acceptor.setDaemon(true);
			acceptor.start();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start a proxy", ex);
		}
	}

	/**
	 * The URI of the proxy for Lettuce.
	 * @return {@code redis://127.0.0.1:<port>}
	 */
	public String uri() {
		return "redis://" + HOST + ":" + this.serverSocket.getLocalPort();
	}

	/**
	 * The round trips counted, over every connection, since the last call.
	 * @return the count
	 */
	public long takeRoundTrips() {
		return this.roundTrips.getAndSet(0);
	}

	@Override
	public void close() {
		try {
			this.serverSocket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
		for (AutoCloseable resource : this.resources) {
			try {
				resource.close();
			}
			catch (Exception ex) {
				// closing anyway
			}
		}
	}

	private void accept() {
		while (!this.serverSocket.isClosed()) {
			try {
				Socket client = this.serverSocket.accept();
				Socket server = new Socket(this.targetHost, this.targetPort);
				client.setTcpNoDelay(true);
				server.setTcpNoDelay(true);
				ScheduledExecutorService delayed = Executors.newSingleThreadScheduledExecutor();
				this.resources.add(client);
				this.resources.add(server);
				this.resources.add(delayed::shutdownNow);
				AtomicBoolean replied = new AtomicBoolean(true);
				pump(client.getInputStream(), server.getOutputStream(), null, replied, "up");
				pump(server.getInputStream(), client.getOutputStream(), delayed, replied, "down");
			}
			catch (IOException ex) {
				// closed, or the server refused: the client sees its connection fail
			}
		}
	}

	private void pump(InputStream in, OutputStream out, @Nullable ScheduledExecutorService delayed,
			AtomicBoolean replied, String direction) {
		Thread thread = new Thread(() -> {
			byte[] buffer = new byte[64 * 1024];
			try {
				int read;
				while ((read = in.read(buffer)) != -1) {
					byte[] chunk = Arrays.copyOf(buffer, read);
					if (delayed == null) {
						if (replied.getAndSet(false)) {
							this.roundTrips.incrementAndGet();
						}
						out.write(chunk);
						out.flush();
					}
					else {
						delayed.schedule(() -> {
							replied.set(true);
							write(out, chunk);
						}, this.latencyNanos, TimeUnit.NANOSECONDS);
					}
				}
			}
			catch (IOException ex) {
				// a side closed
			}
			finally {
				try {
					out.close();
				}
				catch (IOException ex) {
					// closing anyway
				}
			}
		}, "latency-proxy-" + direction);
		thread.setDaemon(true);
		thread.start();
	}

	private static void write(OutputStream out, byte[] chunk) {
		try {
			out.write(chunk);
			out.flush();
		}
		catch (IOException ex) {
			// the client closed
		}
	}

}
