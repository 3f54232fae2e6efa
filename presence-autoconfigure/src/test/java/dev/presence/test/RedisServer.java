package dev.presence.test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.jspecify.annotations.Nullable;

/**
 * A {@code redis-server} process of its own for a test: on {@code 127.0.0.1}, on a free
 * port, without persistence, in a temporary directory that {@link #close()} deletes.
 * <p>
 * The binary is looked up on the {@code PATH}. Every method returns once the server
 * answers {@code PING} (or, for {@link #kill()}, once the process is gone).
 */
public final class RedisServer implements AutoCloseable {

	private static final String HOST = "127.0.0.1";

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration IO_TIMEOUT = Duration.ofSeconds(2);

	private static final int PORT_ATTEMPTS = 5;

	private final Path executable;

	private final Path directory;

	private final int port;

	private final List<String> extraArguments;

	/** Arguments that must come first, before the options (a Sentinel's config file). */
	private final List<String> leadingArguments;

	private final Thread shutdownHook;

	private @Nullable Process process;

	private RedisServer(Path executable, Path directory, int port, List<String> extraArguments) {
		this(executable, directory, port, extraArguments, List.of());
	}

	private RedisServer(Path executable, Path directory, int port, List<String> extraArguments,
			List<String> leadingArguments) {
		this.leadingArguments = List.copyOf(leadingArguments);
		this.executable = executable;
		this.directory = directory;
		this.port = port;
		this.extraArguments = List.copyOf(extraArguments);
		this.shutdownHook = new Thread(this::destroy, "redis-server-" + port + "-shutdown");
	}

	/**
	 * Start a new, empty server.
	 * @return the running server
	 * @throws IllegalStateException if {@code redis-server} is not on the {@code PATH} or
	 * does not start
	 */
	public static RedisServer start() {
		return start(List.of(), 0);
	}

	/**
	 * Start a new, empty server with more arguments.
	 * @param extraArguments arguments added to the command line
	 * @param portOffset a port that must be free as well, relative to the server's (for
	 * the bus of a cluster node), or {@code 0}
	 * @return the running server
	 */
	static RedisServer start(List<String> extraArguments, int portOffset) {
		Path executable = findExecutable("redis-server");
		IllegalStateException failure = null;
		for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
			Path directory = createDirectory();
			RedisServer server = new RedisServer(executable, directory, freePort(portOffset), extraArguments);
			try {
				server.launch();
				Runtime.getRuntime().addShutdownHook(server.shutdownHook);
				return server;
			}
			catch (IllegalStateException ex) {
				// most likely another process took the port between probe and launch
				server.destroy();
				deleteRecursively(directory);
				failure = ex;
			}
		}
		throw failure;
	}

	/**
	 * Start a Sentinel that monitors a master under a name, as Spring Boot's
	 * {@code spring.data.redis.sentinel.*} settings expect.
	 * @param master the master to monitor
	 * @param masterName the name Sentinel gives it
	 * @return the running Sentinel
	 */
	public static RedisServer startSentinel(RedisServer master, String masterName) {
		return startSentinel(master, masterName, 1, Duration.ofSeconds(1));
	}

	/**
	 * Start a Sentinel that monitors a master under a name, one of several that agree on
	 * its failure.
	 * @param master the master to monitor
	 * @param masterName the name Sentinel gives it
	 * @param quorum how many Sentinels must find the master down to fail it over
	 * @param downAfter how long the master must not answer to be down
	 * @return the running Sentinel
	 */
	public static RedisServer startSentinel(RedisServer master, String masterName, int quorum, Duration downAfter) {
		Path executable = findExecutable("redis-server");
		Path directory = createDirectory();
		Path config = directory.resolve("sentinel.conf");
		try {
			// Sentinel rewrites its config file, so it needs one of its own
			Files.writeString(config, "sentinel monitor " + masterName + " " + HOST + " " + master.port() + " "
					+ quorum + "\n" + "sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis()
					+ "\n" + "sentinel failover-timeout " + masterName + " 10000\n");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot write " + config, ex);
		}
		RedisServer sentinel = new RedisServer(executable, directory, freePort(0), List.of(),
				List.of(config.toString(), "--sentinel"));
		sentinel.launch();
		Runtime.getRuntime().addShutdownHook(sentinel.shutdownHook);
		return sentinel;
	}

	/**
	 * Start a new server that replicates a master ({@code --replicaof}).
	 * @param master the master
	 * @return the running replica; it may still be syncing
	 */
	public static RedisServer startReplica(RedisServer master) {
		return start(List.of("--replicaof", master.host(), Integer.toString(master.port())), 0);
	}

	/**
	 * Whether the process runs: started, and neither killed nor closed since.
	 * @return whether it runs
	 */
	public synchronized boolean isRunning() {
		Process process = this.process;
		return process != null && process.isAlive();
	}

	public String host() {
		return HOST;
	}

	public int port() {
		return this.port;
	}

	/**
	 * The URI Lettuce and Spring Data Redis accept.
	 * @return {@code redis://127.0.0.1:<port>}
	 */
	public String uri() {
		return "redis://" + HOST + ":" + this.port;
	}

	/**
	 * Kill the process ({@code SIGKILL}) and wait until it is gone.
	 */
	public synchronized void kill() {
		destroy();
	}

	/**
	 * Freeze the process ({@code SIGSTOP}): it keeps its connections and answers nothing,
	 * as a Redis that became unreachable.
	 */
	public synchronized void pause() {
		signal("STOP");
	}

	/**
	 * Let a frozen process run again ({@code SIGCONT}).
	 */
	public synchronized void resume() {
		signal("CONT");
	}

	private void signal(String name) {
		Process process = this.process;
		if (process == null) {
			throw new IllegalStateException(this + " is not running");
		}
		try {
			Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
			if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
				throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Start the server again, empty, on the same port; kills it first if it still runs.
	 */
	public synchronized void restart() {
		destroy();
		launch();
	}

	/**
	 * Remove every key of every database ({@code FLUSHALL}).
	 */
	public void flushAll() {
		String reply = command("FLUSHALL");
		if (!reply.startsWith("+OK")) {
			throw new IllegalStateException("FLUSHALL answered " + reply);
		}
	}

	/**
	 * Kill the server and delete its directory.
	 */
	@Override
	public synchronized void close() {
		destroy();
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// the JVM is shutting down: the hook runs anyway
		}
		deleteRecursively(this.directory);
	}

	@Override
	public String toString() {
		return "RedisServer[" + uri() + "]";
	}

	private void launch() {
		Path log = this.directory.resolve("redis.log");
		List<String> command = new ArrayList<>(List.of(this.executable.toString()));
		command.addAll(this.leadingArguments);
		command.addAll(List.of("--bind", HOST, "--port",
				Integer.toString(this.port), "--save", "", "--appendonly", "no", "--dir", this.directory.toString(),
				"--daemonize", "no", "--loglevel", "warning"));
		command.addAll(this.extraArguments);
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
		Process process;
		try {
			process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot start " + this.executable, ex);
		}
		this.process = process;
		try {
			Awaitility.await("redis-server on port " + this.port + " answering PING")
				.atMost(STARTUP_TIMEOUT)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(20))
				.failFast("redis-server exited", () -> !process.isAlive())
				.until(this::answersPing);
		}
		catch (ConditionTimeoutException | TerminalFailureException ex) {
			throw new IllegalStateException("redis-server did not start on port " + this.port + "; its log:\n"
					+ readLog(log), ex);
		}
	}

	private void destroy() {
		Process process = this.process;
		if (process == null) {
			return;
		}
		this.process = null;
		process.destroyForcibly();
		try {
			if (!process.waitFor(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new IllegalStateException("redis-server on port " + this.port + " did not die");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while killing redis-server on port " + this.port, ex);
		}
	}

	private boolean answersPing() {
		try {
			return command("PING").startsWith("+PONG");
		}
		catch (UncheckedIOException ex) {
			return false;
		}
	}

	/**
	 * Send one command without arguments and read the first line of the reply.
	 */
	private String command(String name) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(InetAddress.getByName(HOST), this.port), (int) IO_TIMEOUT.toMillis());
			socket.setSoTimeout((int) IO_TIMEOUT.toMillis());
			OutputStream out = socket.getOutputStream();
			out.write(("*1\r\n$" + name.length() + "\r\n" + name + "\r\n").getBytes(StandardCharsets.US_ASCII));
			out.flush();
			return readLine(socket.getInputStream());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		int c;
		while ((c = in.read()) != -1 && c != '\n') {
			if (c != '\r') {
				line.append((char) c);
			}
		}
		return line.toString();
	}

	static Path findExecutable(String name) {
		String path = System.getenv("PATH");
		List<String> directories = (path != null) ? List.of(path.split(File.pathSeparator)) : List.of();
		for (String directory : directories) {
			if (directory.isEmpty()) {
				continue;
			}
			Path candidate = Path.of(directory, name);
			if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
				return candidate;
			}
		}
		throw new IllegalStateException(name + " not found on the PATH (" + path
				+ "); install Redis (for example 'apt-get install redis-server') to run these tests");
	}

	private static int freePort(int offset) {
		for (int attempt = 0; attempt < 100; attempt++) {
			try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
				int port = socket.getLocalPort();
				if (offset == 0) {
					return port;
				}
				if (port + offset <= 65535) {
					try (ServerSocket other = new ServerSocket(port + offset, 1, InetAddress.getByName(HOST))) {
						return port;
					}
					catch (IOException ex) {
						// taken: try another
					}
				}
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Cannot find a free port", ex);
			}
		}
		throw new IllegalStateException("Cannot find a free port whose port + " + offset + " is free too");
	}

	private static Path createDirectory() {
		try {
			return Files.createTempDirectory("redis-server-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot create a directory for redis-server", ex);
		}
	}

	private static String readLog(Path log) {
		try {
			return Files.readString(log);
		}
		catch (IOException ex) {
			return "(unreadable: " + ex + ")";
		}
	}

	private static void deleteRecursively(Path directory) {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(directory)) {
			paths.sorted(Comparator.reverseOrder()).forEach((file) -> file.toFile().delete());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot delete " + directory, ex);
		}
	}

}
