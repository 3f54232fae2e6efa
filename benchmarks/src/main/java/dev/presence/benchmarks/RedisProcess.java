package dev.presence.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the driver's own, on a free port, without persistence, and a
 * minimal RESP client for the few commands the driver needs ({@code INFO},
 * {@code FLUSHALL}).
 */
final class RedisProcess implements AutoCloseable {

	private final Process process;

	private final int port;

	private RedisProcess(Process process, int port) {
		this.process = process;
		this.port = port;
	}

	/**
	 * Start {@code redis-server} on a free port and wait until it answers.
	 * @param binary the path of {@code redis-server}
	 * @param logFile where its output goes
	 * @return the running server
	 */
	static RedisProcess start(String binary, Path logFile) throws IOException, InterruptedException {
		int port = Ports.free();
		Files.createDirectories(logFile.getParent());
		Process process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
				"--save", "", "--appendonly", "no", "--maxclients", "1000")
			.redirectErrorStream(true)
			.redirectOutput(logFile.toFile())
			.start();
		RedisProcess redis = new RedisProcess(process, port);
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (true) {
			try {
				if (redis.command("PING").startsWith("+PONG")) {
					return redis;
				}
			}
			catch (IOException ex) {
				if (!process.isAlive() || System.nanoTime() > deadline) {
					process.destroyForcibly();
					throw new IOException("redis-server did not start on port " + port + ", see " + logFile, ex);
				}
			}
			Thread.sleep(20);
		}
	}

	int port() {
		return this.port;
	}

	void flushAll() throws IOException {
		command("FLUSHALL");
	}

	/**
	 * The {@code calls} of every command in {@code INFO commandstats}.
	 * @return command name to number of calls
	 */
	Map<String, Long> commandCalls() throws IOException {
		Map<String, Long> calls = new LinkedHashMap<>();
		for (String line : command("INFO", "commandstats").split("\r\n")) {
			// cmdstat_evalsha:calls=3,usec=120,usec_per_call=40.00,rejected_calls=0,failed_calls=0
			if (line.startsWith("cmdstat_")) {
				String name = line.substring("cmdstat_".length(), line.indexOf(':'));
				int start = line.indexOf("calls=") + "calls=".length();
				int end = line.indexOf(',', start);
				calls.put(name, Long.parseLong(line.substring(start, end)));
			}
		}
		return calls;
	}

	/**
	 * Send one command and read its reply, returned raw for simple replies and as the
	 * payload for bulk strings.
	 */
	String command(String... args) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(5000);
			OutputStream out = socket.getOutputStream();
			StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
			for (String arg : args) {
				byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
				request.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
			}
			out.write(request.toString().getBytes(StandardCharsets.UTF_8));
			out.flush();
			InputStream in = new BufferedInputStream(socket.getInputStream());
			String header = readLine(in);
			if (header.startsWith("$")) {
				int length = Integer.parseInt(header.substring(1));
				if (length < 0) {
					return "";
				}
				byte[] body = in.readNBytes(length);
				return new String(body, StandardCharsets.UTF_8);
			}
			if (header.startsWith("-")) {
				throw new IOException("Redis answered " + header);
			}
			return header;
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		int c;
		while ((c = in.read()) != -1) {
			if (c == '\r') {
				in.read();
				break;
			}
			line.append((char) c);
		}
		return line.toString();
	}

	@Override
	public void close() {
		this.process.destroy();
		try {
			if (!this.process.waitFor(5, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
	}

}
