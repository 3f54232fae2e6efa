package dev.presence.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link SerialExecutor}: one task at a time, in submission order, on a shared pool that
 * others use too, and a failing task stops nothing.
 */
class SerialExecutorTests {

	private final ExecutorService pool = Executors.newFixedThreadPool(4);

	@AfterEach
	void stop() {
		this.pool.shutdownNow();
	}

	@Test
	void tasksRunOneAtATimeInSubmissionOrderFromManyThreads() {
		SerialExecutor serial = new SerialExecutor(this.pool);
		List<Integer> ran = new CopyOnWriteArrayList<>();
		AtomicInteger running = new AtomicInteger();
		AtomicInteger overlaps = new AtomicInteger();
		// submitted from one thread, so submission order is defined
		for (int i = 0; i < 1000; i++) {
			int n = i;
			serial.execute(() -> {
				if (running.incrementAndGet() > 1) {
					overlaps.incrementAndGet();
				}
				ran.add(n);
				running.decrementAndGet();
			});
		}

		await().until(() -> ran.size() == 1000);
		assertThat(overlaps).hasValue(0);
		for (int i = 0; i < 1000; i++) {
			assertThat(ran.get(i)).isEqualTo(i);
		}
	}

	@Test
	void aLongQueueLetsOtherSerialExecutorsOnThePoolHaveTheirTurn() {
		ExecutorService single = Executors.newSingleThreadExecutor();
		try {
			// the pool's one thread is held until both executors have queued their work
			CountDownLatch queued = new CountDownLatch(1);
			single.execute(() -> {
				try {
					queued.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			});
			SerialExecutor busy = new SerialExecutor(single);
			SerialExecutor other = new SerialExecutor(single);
			List<String> ran = new CopyOnWriteArrayList<>();
			for (int i = 0; i < 500; i++) {
				busy.execute(() -> ran.add("busy"));
			}
			other.execute(() -> ran.add("other"));
			queued.countDown();

			await().until(() -> ran.size() == 501);
			// the busy executor gave the thread up after its fair share (64 tasks)
			assertThat(ran.indexOf("other")).isEqualTo(64);
		}
		finally {
			single.shutdownNow();
		}
	}

	@Test
	void aFailingTaskDoesNotStopTheOnesAfterIt() {
		SerialExecutor serial = new SerialExecutor(this.pool);
		List<String> ran = new CopyOnWriteArrayList<>();

		serial.execute(() -> ran.add("before"));
		serial.execute(() -> {
			throw new IllegalStateException("boom");
		});
		serial.execute(() -> ran.add("after"));

		await().until(() -> ran.size() == 2);
		assertThat(ran).containsExactly("before", "after");
	}

}
