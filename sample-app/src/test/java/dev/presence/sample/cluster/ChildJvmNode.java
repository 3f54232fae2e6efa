package dev.presence.sample.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

import dev.presence.sample.SampleApplication;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.TestTransport;

/**
 * A presence node in a JVM of its own, so that it can really crash: {@link #kill()}
 * sends {@code SIGKILL}, and nothing of the node (no shutdown hook, no graceful stop)
 * runs after it. {@link PresenceCluster#launch(String, List)} launches them.
 */
final class ChildJvmNode implements AutoCloseable {

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

	private final String id;

	private final int port;

	private final Process process;

	private final Path log;

	private ChildJvmNode(String id, int port, Process process, Path log) {
		this.id = id;
		this.port = port;
		this.process = process;
		this.log = log;
	}

	/**
	 * Start the sample application in a new JVM without waiting for it: call
	 * {@link #awaitReady()} before using it. Lets a test start other nodes meanwhile.
	 * @param id the node id
	 * @param properties every property but the ports and the node id, those of Redis
	 * included, {@code name=value}
	 * @return the starting node
	 */
	static ChildJvmNode launch(String id, List<String> properties) {
		int webPort = freePort();
		// the port clients connect to: the web server's, or presence's own server's
		int port = webPort;
		while (TestTransport.current() == TestTransport.NETTY && port == webPort) {
			port = freePort();
		}
		Path directory = Path.of("target", "cluster-tests");
		Path log = directory.resolve("node-" + id + "-" + port + ".log");
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-Xmx256m");
		command.add("-XX:TieredStopAtLevel=1");
		command.add("-XX:+UseSerialGC");
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(SampleApplication.class.getName());
		command.add("--server.port=" + webPort);
		if (port != webPort) {
			command.add("--presence.server.port=" + port);
		}
		command.add("--presence.node-id=" + id);
		command.add("--spring.main.banner-mode=off");
		properties.forEach((property) -> command.add("--" + property));
		Process process;
		try {
			Files.createDirectories(directory);
			process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start node " + id, ex);
		}
		return new ChildJvmNode(id, port, process, log);
	}

	/**
	 * Wait until the node accepts WebSocket connections.
	 * @return this node
	 */
	ChildJvmNode awaitReady() {
		Process process = this.process;
		int port = this.port;
		try {
			Awaitility.await("node " + this.id + " in a child JVM accepting connections")
				.atMost(STARTUP_TIMEOUT)
				.pollInterval(Duration.ofMillis(100))
				.ignoreExceptions()
				.failFast("the child JVM exited", () -> !process.isAlive())
				.until(() -> {
					PhoenixSocket.connect(port).close();
					return true;
				});
		}
		catch (RuntimeException | Error ex) {
			close();
			throw new IllegalStateException("Node " + this.id + " did not start; its log:\n" + logText(), ex);
		}
		return this;
	}

	String id() {
		return this.id;
	}

	int port() {
		return this.port;
	}

	PhoenixSocket connect(String clientName) {
		return PhoenixSocket.connect(this.port).named(clientName);
	}

	/**
	 * {@code SIGKILL} the JVM and wait until it is gone.
	 */
	void kill() {
		this.process.destroyForcibly();
		try {
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("Node " + this.id + " did not die");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	String logText() {
		try {
			return Files.readString(this.log);
		}
		catch (IOException ex) {
			return "(unreadable: " + ex + ")";
		}
	}

	@Override
	public void close() {
		if (this.process.isAlive()) {
			kill();
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find a free port", ex);
		}
	}

}
