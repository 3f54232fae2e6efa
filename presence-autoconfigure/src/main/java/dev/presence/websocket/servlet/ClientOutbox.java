package dev.presence.websocket.servlet;

import java.io.IOException;
import java.util.concurrent.Executor;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketSession;

import dev.presence.websocket.ClientBacklog;
import dev.presence.websocket.ClientTransport;
import dev.presence.websocket.ConnectionMonitor;
import dev.presence.websocket.OutboundFrame;

/**
 * The servlet transport of one client ({@link ClientTransport}): what is on its way to
 * it, over a Spring {@code WebSocketSession}. Callers never wait: frames are queued and written one
 * at a time, in order, by a thread of the send pool, so a client that stops reading can
 * block neither a topic's fan-out nor anyone else. What has queued up by the time the
 * writer comes goes out as one batch of socket writes, not one write per frame (see
 * {@link TextFrameWriter}).
 * <p>
 * The send buffer bounds the client's backlog, as {@link ClientBacklog} counts it. A
 * client is closed with status 4500 as soon as its backlog would pass the send buffer
 * size, or when one write has taken longer than the send time limit (see
 * {@link #closeIfStuck(long)}).
 */
final class ClientOutbox implements ClientTransport {

	private static final Log logger = LogFactory.getLog(ClientOutbox.class);

	private static final int FAIR_SHARE = 64;

	/** Close status of a client that did not keep up with what it was sent. */
	static final CloseStatus TOO_SLOW = CloseStatus.SESSION_NOT_RELIABLE.withReason("client too slow");

	private final WebSocketSession session;

	private final TextFrameWriter writer;

	private final Executor sendPool;

	private final Executor closer;

	private final long sendTimeLimitNanos;

	private final ConnectionMonitor monitor;

	// guarded by this: frames not yet handed to the session
	private final ClientBacklog backlog;

	private boolean writing;

	private boolean closing;

	private volatile long writeStartedNanos;

	ClientOutbox(WebSocketSession session, Executor sendPool, Executor closer, long maxBacklog,
			long sendTimeLimitNanos, ConnectionMonitor monitor) {
		this.session = session;
		this.writer = TextFrameWriter.of(session);
		this.sendPool = sendPool;
		this.closer = closer;
		this.backlog = new ClientBacklog(maxBacklog);
		this.sendTimeLimitNanos = sendTimeLimitNanos;
		this.monitor = monitor;
	}

	@Override
	public String id() {
		return this.session.getId();
	}

	@Override
	public void send(OutboundFrame.Encoded frame) {
		boolean tooSlow;
		synchronized (this) {
			if (this.closing) {
				return;
			}
			tooSlow = !this.backlog.offer(frame);
			if (!tooSlow) {
				if (this.writing) {
					return;
				}
				this.writing = true;
			}
		}
		if (tooSlow) {
			tooSlow("its backlog passed the send buffer size");
		}
		else {
			this.sendPool.execute(this::writeQueued);
		}
	}

	/**
	 * Write what is queued, in order, until the queue is empty; after a fair share of
	 * writes, go to the back of the send pool's queue so other clients get their turn.
	 */
	private void writeQueued() {
		for (int written = 0;; written++) {
			if (written == FAIR_SHARE) {
				if (flush()) {
					this.sendPool.execute(this::writeQueued);
				}
				return;
			}
			OutboundFrame.Encoded next;
			boolean more = false;
			boolean closing;
			synchronized (this) {
				closing = this.closing;
				next = closing ? null : this.backlog.poll();
				if (next == null) {
					this.backlog.clear();
					this.writing = false;
				}
				else {
					more = !this.backlog.isEmpty() && written + 1 < FAIR_SHARE;
				}
			}
			if (next == null || closing) {
				// a batch is open only when a close emptied the queue under it: write it
				// out, so that the close frame that follows is not held back in the buffer
				// (no other writer starts once closing)
				if (closing) {
					flush();
				}
				return;
			}
			if (!write(next, more)) {
				return;
			}
		}
	}

	private boolean write(OutboundFrame.Encoded frame, boolean more) {
		if (!this.session.isOpen()) {
			close(CloseStatus.SESSION_NOT_RELIABLE);
			return false;
		}
		return timed(() -> this.writer.write(frame, more));
	}

	/**
	 * Write out what is batched (before yielding the thread).
	 * @return whether it went well; if not, the client is being closed
	 */
	private boolean flush() {
		return timed(this.writer::flush);
	}

	/**
	 * Run a write, watched by {@link #closeIfStuck(long)}; a failed write closes the
	 * client.
	 * @return whether it went well
	 */
	private boolean timed(Write write) {
		this.writeStartedNanos = System.nanoTime();
		try {
			write.run();
			return true;
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Could not send to connection " + this.session.getId() + ", closing it: " + ex);
			close(CloseStatus.SESSION_NOT_RELIABLE);
			return false;
		}
		finally {
			this.writeStartedNanos = 0;
		}
	}

	@Override
	public void closeIfStuck(long now) {
		long started = this.writeStartedNanos;
		if (started != 0 && now - started > this.sendTimeLimitNanos) {
			tooSlow("one write took longer than the send time limit");
		}
	}

	private void tooSlow(String why) {
		if (close(TOO_SLOW)) {
			logger.info("Closing connection " + this.session.getId() + ", it does not keep up: " + why);
			this.monitor.slowClientClosed();
		}
	}

	@Override
	public boolean close(int status, String reason) {
		return close(new CloseStatus(status, reason));
	}

	/**
	 * Close the session, once, off the caller's thread: closing may wait for a write in
	 * progress. Whatever is still queued is dropped.
	 * @return whether this call closed it
	 */
	boolean close(CloseStatus status) {
		synchronized (this) {
			if (this.closing) {
				return false;
			}
			this.closing = true;
			this.backlog.clear();
		}
		this.closer.execute(() -> {
			try {
				this.session.close(status);
			}
			catch (IOException | RuntimeException ex) {
				logger.debug("Could not close connection " + this.session.getId() + ": " + ex);
			}
		});
		return true;
	}

	@FunctionalInterface
	private interface Write {

		void run() throws IOException;

	}

}
