package dev.presence.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Watches every command Redis runs ({@code MONITOR}), telling the commands a client sent
 * (its round trips) from those a Lua script ran inside one of them ({@code [0 lua]}).
 * {@code INFO commandstats} counts both alike.
 */
final class RedisMonitor implements AutoCloseable {

	private final Socket socket;

	private final Thread reader;

	private final List<String> sent = new ArrayList<>();

	private final List<String> inScripts = new ArrayList<>();

	RedisMonitor(int port) throws IOException {
		this.socket = new Socket("127.0.0.1", port);
		OutputStream out = this.socket.getOutputStream();
		out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
		out.flush();
		BufferedReader in = new BufferedReader(new InputStreamReader(this.socket.getInputStream(), StandardCharsets.UTF_8));
		String ok = in.readLine();
		if (ok == null || !ok.startsWith("+OK")) {
			this.socket.close();
			throw new IOException("MONITOR answered " + ok);
		}
		this.reader = new Thread(() -> read(in), "driver-redis-monitor");
		this.reader.setDaemon(true);
		this.reader.start();
	}

	private void read(BufferedReader in) {
		try {
			String line;
			// +1735689600.123456 [0 127.0.0.1:50312] "evalsha" "..." ...
			while ((line = in.readLine()) != null) {
				int open = line.indexOf('[');
				int close = line.indexOf(']', open);
				int quote = line.indexOf('"', close);
				if (open < 0 || close < 0 || quote < 0) {
					continue;
				}
				String source = line.substring(open + 1, close);
				String command = line.substring(quote + 1, line.indexOf('"', quote + 1)).toUpperCase(Locale.ROOT);
				synchronized (this) {
					(source.endsWith(" lua") ? this.inScripts : this.sent).add(command);
				}
			}
		}
		catch (IOException ex) {
			// closed
		}
	}

	synchronized void clear() {
		this.sent.clear();
		this.inScripts.clear();
	}

	/**
	 * Commands clients sent, without the driver's own {@code INFO}/{@code PING}.
	 */
	synchronized List<String> sent() {
		return this.sent.stream().filter((command) -> !command.equals("INFO") && !command.equals("PING")).toList();
	}

	synchronized List<String> inScripts() {
		return List.copyOf(this.inScripts);
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
	}

}
