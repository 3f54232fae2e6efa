package dev.presence.test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A WebSocket client written by hand on a plain TCP socket, for what well-behaved clients
 * never do: stop reading, or send bytes that are not UTF-8 in a text frame. It does the
 * upgrade (RFC 6455 §4.1), sends masked frames, and reads only if asked to.
 */
public final class RawWebSocket implements AutoCloseable {

	public static final int TEXT = 0x1;

	public static final int BINARY = 0x2;

	public static final int CONTINUATION = 0x0;

	private final Socket socket;

	private final OutputStream out;

	private final AtomicBoolean eof = new AtomicBoolean();

	private final AtomicLong drained = new AtomicLong();

	private final String handshakeResponse;

	private RawWebSocket(Socket socket, String handshakeResponse) throws IOException {
		this.socket = socket;
		this.out = socket.getOutputStream();
		this.handshakeResponse = handshakeResponse;
	}

	/**
	 * Upgrade a new TCP connection to a WebSocket.
	 * @param receiveBufferSize the socket's receive buffer, small for a client that
	 * does not read
	 */
	public static RawWebSocket connect(int port, String query, int receiveBufferSize) throws IOException {
		return connect(port, query, receiveBufferSize, "");
	}

	/**
	 * Upgrade a new TCP connection to a WebSocket, with header lines of its own.
	 * @param receiveBufferSize the socket's receive buffer, small for a client that
	 * does not read
	 * @param headerLines more header lines, each ending with CRLF
	 */
	public static RawWebSocket connect(int port, String query, int receiveBufferSize, String headerLines)
			throws IOException {
		Socket socket = new Socket();
		socket.setReceiveBufferSize(receiveBufferSize);
		socket.setSoTimeout(10_000);
		socket.connect(new InetSocketAddress("localhost", port), 5000);
		byte[] nonce = new byte[16];
		ThreadLocalRandom.current().nextBytes(nonce);
		String request = "GET /realtime/v1/websocket?" + query + "&vsn=2.0.0 HTTP/1.1\r\n" + "Host: localhost:" + port
				+ "\r\n" + "Upgrade: websocket\r\n" + "Connection: Upgrade\r\n" + "Sec-WebSocket-Key: "
				+ Base64.getEncoder().encodeToString(nonce) + "\r\n" + "Sec-WebSocket-Version: 13\r\n" + headerLines
				+ "\r\n";
		socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
		socket.getOutputStream().flush();
		String response = readHead(socket.getInputStream());
		if (!response.startsWith("HTTP/1.1 101")) {
			socket.close();
			throw new IOException("upgrade refused: " + response);
		}
		return new RawWebSocket(socket, response);
	}

	/**
	 * The status line and headers the server answered the upgrade with.
	 */
	public String handshakeResponse() {
		return this.handshakeResponse;
	}

	/**
	 * Read the next frame from the server: its payload, inflated when its RSV1 bit says
	 * it is compressed with {@code permessage-deflate} (RFC 7692).
	 */
	public String readText() throws IOException {
		DataInputStream in = new DataInputStream(this.socket.getInputStream());
		int first = in.readUnsignedByte();
		byte[] payload = readPayload(in);
		if ((first & 0x40) == 0) {
			return new String(payload, StandardCharsets.UTF_8);
		}
		Inflater inflater = new Inflater(true);
		try {
			ByteArrayOutputStream text = new ByteArrayOutputStream();
			inflater.setInput(payload);
			byte[] buffer = new byte[8192];
			while (!inflater.needsInput()) {
				text.write(buffer, 0, inflater.inflate(buffer));
			}
			inflater.setInput(new byte[] { 0, 0, (byte) 0xff, (byte) 0xff });
			while (!inflater.needsInput()) {
				text.write(buffer, 0, inflater.inflate(buffer));
			}
			return text.toString(StandardCharsets.UTF_8);
		}
		catch (DataFormatException ex) {
			throw new IOException("not a deflated frame", ex);
		}
		finally {
			inflater.end();
		}
	}

	/**
	 * Read frames until the server's close frame.
	 * @return its status code
	 */
	public int readCloseStatus() throws IOException {
		DataInputStream in = new DataInputStream(this.socket.getInputStream());
		while (true) {
			int first = in.readUnsignedByte();
			byte[] payload = readPayload(in);
			if ((first & 0x0f) == 0x8) {
				return (payload.length >= 2) ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
			}
		}
	}

	private static byte[] readPayload(DataInputStream in) throws IOException {
		int length = in.readUnsignedByte() & 0x7f;
		long size = (length == 126) ? in.readUnsignedShort() : (length == 127) ? in.readLong() : length;
		byte[] payload = new byte[Math.toIntExact(size)];
		in.readFully(payload);
		return payload;
	}

	private static String readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int matched = 0;
		byte[] end = { '\r', '\n', '\r', '\n' };
		while (matched < 4) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("connection closed during the upgrade: " + head);
			}
			head.write(b);
			matched = (b == end[matched]) ? matched + 1 : (b == '\r') ? 1 : 0;
		}
		return head.toString(StandardCharsets.US_ASCII);
	}

	public void sendText(String text) throws IOException {
		send(TEXT, text.getBytes(StandardCharsets.UTF_8));
	}

	/**
	 * Send one final frame with a masked payload.
	 */
	public void send(int opcode, byte[] payload) throws IOException {
		sendFragment(opcode, payload, true);
	}

	/**
	 * Send one frame of a message with a masked payload: the first with the message's
	 * opcode, the others as continuations ({@link #CONTINUATION}), the last one final.
	 */
	public synchronized void sendFragment(int opcode, byte[] payload, boolean last) throws IOException {
		ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
		frame.write((last ? 0x80 : 0) | opcode);
		if (payload.length < 126) {
			frame.write(0x80 | payload.length);
		}
		else if (payload.length < 65536) {
			frame.write(0x80 | 126);
			frame.write(payload.length >>> 8);
			frame.write(payload.length);
		}
		else {
			frame.write(0x80 | 127);
			for (int shift = 56; shift >= 0; shift -= 8) {
				frame.write((int) ((long) payload.length >>> shift));
			}
		}
		byte[] mask = new byte[4];
		ThreadLocalRandom.current().nextBytes(mask);
		frame.write(mask, 0, 4);
		for (int i = 0; i < payload.length; i++) {
			frame.write(payload[i] ^ mask[i % 4]);
		}
		this.out.write(frame.toByteArray());
		this.out.flush();
	}

	/**
	 * Read and drop everything the server sends, on a daemon thread, until the
	 * connection ends.
	 */
	public void drain() {
		Thread reader = new Thread(() -> {
			byte[] buffer = new byte[8192];
			try {
				this.socket.setSoTimeout(0);
				InputStream in = this.socket.getInputStream();
				for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
					this.drained.addAndGet(read);
				}
			}
			catch (IOException ex) {
				// the end, as EOF is
			}
			this.eof.set(true);
		}, "raw-websocket-drain");
		reader.setDaemon(true);
		reader.start();
	}

	/**
	 * How many bytes {@link #drain()} has read so far.
	 */
	public long drained() {
		return this.drained.get();
	}

	/**
	 * Whether the drained connection has ended.
	 */
	public boolean ended() {
		return this.eof.get() || this.socket.isClosed();
	}

	@Override
	public void close() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

}
