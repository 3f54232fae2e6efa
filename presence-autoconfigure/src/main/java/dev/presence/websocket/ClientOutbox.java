package dev.presence.websocket;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

import dev.presence.core.PresenceMonitor;
import dev.presence.core.SerialExecutor;

/**
 * What is on its way to one client. Callers never wait: messages are queued and written
 * one at a time, in order, by a thread of the send pool, so a client that stops reading
 * can block neither a topic's fan-out nor anyone else. Such a client is closed as soon as
 * its queue holds more than the send buffer size (in characters of text), or one write
 * has taken longer than the send time limit (see {@link #closeIfStuck(long)}).
 */
final class ClientOutbox {

	private static final Log logger = LogFactory.getLog(ClientOutbox.class);

	/** Close status of a client that did not keep up with what it was sent. */
	static final CloseStatus TOO_SLOW = CloseStatus.SESSION_NOT_RELIABLE.withReason("client too slow");

	private final WebSocketSession session;

	private final SerialExecutor writer;

	private final Executor closer;

	private final long maxBuffered;

	private final long sendTimeLimitNanos;

	private final PresenceMonitor monitor;

	private final AtomicLong buffered = new AtomicLong();

	private final AtomicBoolean closing = new AtomicBoolean();

	private volatile long writeStartedNanos;

	ClientOutbox(WebSocketSession session, Executor sendPool, Executor closer, long maxBuffered,
			long sendTimeLimitNanos, PresenceMonitor monitor) {
		this.session = session;
		this.writer = new SerialExecutor(sendPool);
		this.closer = closer;
		this.maxBuffered = maxBuffered;
		this.sendTimeLimitNanos = sendTimeLimitNanos;
		this.monitor = monitor;
	}

	/**
	 * Queue a message. Never blocks and never throws.
	 */
	void send(TextMessage message) {
		if (this.closing.get()) {
			return;
		}
		long size = message.getPayloadLength();
		if (this.buffered.addAndGet(size) > this.maxBuffered) {
			this.buffered.addAndGet(-size);
			tooSlow("its send buffer is full");
			return;
		}
		this.writer.execute(() -> write(message, size));
	}

	private void write(TextMessage message, long size) {
		this.buffered.addAndGet(-size);
		if (this.closing.get() || !this.session.isOpen()) {
			return;
		}
		this.writeStartedNanos = System.nanoTime();
		try {
			this.session.sendMessage(message);
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Could not send to connection " + this.session.getId() + ", closing it: " + ex);
			close(CloseStatus.SESSION_NOT_RELIABLE);
		}
		finally {
			this.writeStartedNanos = 0;
		}
	}

	/**
	 * Close the client when a write has been blocked past the send time limit.
	 * @param now the current {@link System#nanoTime()}
	 */
	void closeIfStuck(long now) {
		long started = this.writeStartedNanos;
		if (started != 0 && now - started > this.sendTimeLimitNanos) {
			tooSlow("one write took longer than the send time limit");
		}
	}

	private void tooSlow(String why) {
		if (!this.closing.get()) {
			logger.info("Closing connection " + this.session.getId() + ", it does not keep up: " + why);
			this.monitor.slowClientClosed();
			close(TOO_SLOW);
		}
	}

	/**
	 * Close the session, once, off the caller's thread: closing may wait for a write in
	 * progress.
	 */
	void close(CloseStatus status) {
		if (this.closing.compareAndSet(false, true)) {
			this.closer.execute(() -> {
				try {
					this.session.close(status);
				}
				catch (IOException | RuntimeException ex) {
					logger.debug("Could not close connection " + this.session.getId() + ": " + ex);
				}
			});
		}
	}

}
