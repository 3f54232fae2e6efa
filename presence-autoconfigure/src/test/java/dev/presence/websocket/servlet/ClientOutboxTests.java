package dev.presence.websocket.servlet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketExtension;
import org.springframework.web.socket.WebSocketMessage;
import org.springframework.web.socket.WebSocketSession;

import dev.presence.websocket.ClientTransport;
import dev.presence.websocket.ConnectionMonitor;
import dev.presence.websocket.OutboundFrame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The slow-client rules of {@link ClientOutbox} on a session whose writes the test holds
 * back: what is budgeted, what passes, what closes the client, and in what order frames
 * go out.
 */
class ClientOutboxTests {

	private static final long BUDGET = 100;

	private final ExecutorService sendPool = Executors.newSingleThreadExecutor();

	private final FakeSession session = new FakeSession();

	private final AtomicInteger slowClosed = new AtomicInteger();

	private final ConnectionMonitor monitor = new ConnectionMonitor() {

		@Override
		public void slowClientClosed() {
			ClientOutboxTests.this.slowClosed.incrementAndGet();
		}

	};

	private final ClientOutbox outbox = new ClientOutbox(this.session, this.sendPool, Runnable::run, BUDGET,
			TimeUnit.SECONDS.toNanos(1), this.monitor);

	@AfterEach
	void stop() {
		this.session.release();
		this.sendPool.shutdownNow();
	}

	@Test
	void framesGoOutInTheOrderTheyWereQueued() {
		// a budget that the whole burst fits in: the writer may not start before it ends
		ClientOutbox roomy = new ClientOutbox(this.session, this.sendPool, Runnable::run, 1024 * 1024,
				TimeUnit.SECONDS.toNanos(1), this.monitor);
		for (int i = 0; i < 200; i++) {
			roomy.send(frame("f" + i));
		}

		await().until(() -> this.session.sent.size() == 200);
		assertThat(this.session.sent).startsWith("f0", "f1", "f2").endsWith("f198", "f199");
		assertThat(this.session.closed).isEmpty();
	}

	@Test
	void oneFrameLargerThanTheBudgetReachesAClientThatKeepsUp() {
		String large = "x".repeat(10 * (int) BUDGET);

		this.outbox.send(frame(large));

		await().until(() -> this.session.sent.contains(large));
		assertThat(this.session.closed).isEmpty();
	}

	@Test
	void backlogPastTheBudgetClosesTheClientAsTooSlow() {
		// given a client whose first write does not complete
		this.session.holdWrites();
		this.outbox.send(frame("first"));
		await().until(() -> this.session.writing.getCount() == 0);
		// when frames pile up: the largest one is not counted, the rest pass the budget
		this.outbox.send(frame("y".repeat(500)));
		this.outbox.send(frame("z".repeat(60)));
		assertThat(this.session.closed).isEmpty();
		this.outbox.send(frame("z".repeat(60)));

		// then it is closed with 4500, once, and counted
		assertThat(this.session.closed).containsExactly(ClientOutbox.TOO_SLOW);
		assertThat(this.slowClosed).hasValue(1);
		// and what is queued afterwards is dropped
		this.outbox.send(frame("after"));
		this.session.release();
		await().until(() -> this.session.sent.contains("first"));
		assertThat(this.session.sent).containsExactly("first");
	}

	@Test
	void writeBlockedPastTheSendTimeLimitClosesTheClient() {
		this.session.holdWrites();
		this.outbox.send(frame("stuck"));
		await().until(() -> this.session.writing.getCount() == 0);

		this.outbox.closeIfStuck(System.nanoTime());
		assertThat(this.session.closed).isEmpty();
		this.outbox.closeIfStuck(System.nanoTime() + TimeUnit.SECONDS.toNanos(2));

		assertThat(this.session.closed).containsExactly(ClientOutbox.TOO_SLOW);
		assertThat(this.slowClosed).hasValue(1);
	}

	@Test
	void closeIsDoneOnceWithTheGivenStatus() {
		assertThat(this.outbox.close(ClientTransport.POLICY_VIOLATION, "idle timeout")).isTrue();
		assertThat(this.outbox.close(CloseStatus.SERVER_ERROR)).isFalse();

		assertThat(this.session.closed).containsExactly(new CloseStatus(1008, "idle timeout"));
	}

	private static OutboundFrame.Encoded frame(String text) {
		return new OutboundFrame.Encoded(text.getBytes(StandardCharsets.UTF_8));
	}

	/**
	 * A session that records what is sent and closed, and can hold writes back as a
	 * client that stopped reading does.
	 */
	private static final class FakeSession implements WebSocketSession {

		final List<String> sent = new CopyOnWriteArrayList<>();

		final List<CloseStatus> closed = new CopyOnWriteArrayList<>();

		final CountDownLatch writing = new CountDownLatch(1);

		private volatile CountDownLatch gate = new CountDownLatch(0);

		void holdWrites() {
			this.gate = new CountDownLatch(1);
		}

		void release() {
			this.gate.countDown();
		}

		@Override
		public void sendMessage(WebSocketMessage<?> message) throws IOException {
			this.writing.countDown();
			try {
				this.gate.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IOException(ex);
			}
			this.sent.add(((TextMessage) message).getPayload());
		}

		@Override
		public boolean isOpen() {
			return this.closed.isEmpty();
		}

		@Override
		public void close(CloseStatus status) {
			this.closed.add(status);
		}

		@Override
		public void close() {
			close(CloseStatus.NORMAL);
		}

		@Override
		public String getId() {
			return "fake";
		}

		@Override
		public @Nullable URI getUri() {
			return null;
		}

		@Override
		public HttpHeaders getHandshakeHeaders() {
			return new HttpHeaders();
		}

		@Override
		public Map<String, Object> getAttributes() {
			return new HashMap<>();
		}

		@Override
		public @Nullable Principal getPrincipal() {
			return null;
		}

		@Override
		public @Nullable InetSocketAddress getLocalAddress() {
			return null;
		}

		@Override
		public @Nullable InetSocketAddress getRemoteAddress() {
			return null;
		}

		@Override
		public @Nullable String getAcceptedProtocol() {
			return null;
		}

		@Override
		public void setTextMessageSizeLimit(int messageSizeLimit) {
		}

		@Override
		public int getTextMessageSizeLimit() {
			return Integer.MAX_VALUE;
		}

		@Override
		public void setBinaryMessageSizeLimit(int messageSizeLimit) {
		}

		@Override
		public int getBinaryMessageSizeLimit() {
			return Integer.MAX_VALUE;
		}

		@Override
		public List<WebSocketExtension> getExtensions() {
			return List.of();
		}

	}

}
