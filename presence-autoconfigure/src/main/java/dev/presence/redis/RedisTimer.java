package dev.presence.redis;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * The one timer thread of the Redis store's delayed work: the look at an unanswered
 * attempt, the back-off before a retry, the next try to reconcile a topic. Tasks only
 * look at state and send a command, so one daemon thread serves every store in the JVM.
 * <p>
 * Not {@code CompletableFuture.delayedExecutor(delay, unit)}: without an executor its
 * tasks run on the common pool, which on a machine of one or two cores starts a new
 * thread for every task, and one such task was scheduled per mutation.
 */
final class RedisTimer {

	private static final ScheduledThreadPoolExecutor TIMER;

	static {
		CustomizableThreadFactory threads = new CustomizableThreadFactory("presence-redis-timer-");
		threads.setDaemon(true);
		TIMER = new ScheduledThreadPoolExecutor(1, threads);
		TIMER.setRemoveOnCancelPolicy(true);
	}

	private RedisTimer() {
	}

	/**
	 * Run a short task once after a delay.
	 * @return its future, to cancel it when it is no longer needed
	 */
	static ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
		return TIMER.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
	}

}
