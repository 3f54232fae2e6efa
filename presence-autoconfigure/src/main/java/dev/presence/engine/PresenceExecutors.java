package dev.presence.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;


/**
 * The threads presence runs on, named and bounded: {@code presence-N} apply changes and
 * handle frames (per topic and per connection in order, through
 * {@link SerialExecutor}s); one {@code presence-events} thread runs the application's
 * listeners, behind a bounded queue; one {@code presence-timer} thread schedules batch
 * flushes. The threads that write to clients are the transport's.
 */
public final class PresenceExecutors implements DisposableBean {

	private final ThreadPoolExecutor dispatch;

	private final ThreadPoolExecutor events;

	private final ScheduledThreadPoolExecutor scheduler;

	/**
	 * Create the executors.
	 * @param threads the number of dispatch threads
	 * @param eventQueueCapacity the maximum number of events waiting for listeners
	 */
	public PresenceExecutors(int threads, int eventQueueCapacity) {
		this.dispatch = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
				new CustomizableThreadFactory("presence-"));
		this.dispatch.allowCoreThreadTimeOut(true);
		this.events = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(eventQueueCapacity),
				new CustomizableThreadFactory("presence-events-"));
		this.events.allowCoreThreadTimeOut(true);
		this.scheduler = new ScheduledThreadPoolExecutor(1, new CustomizableThreadFactory("presence-timer-"));
		this.scheduler.setRemoveOnCancelPolicy(true);
	}

	/**
	 * The scheduler of timed tasks (batch flushes); tasks only hand work to other
	 * executors.
	 * @return the scheduler
	 */
	public ScheduledExecutorService scheduler() {
		return this.scheduler;
	}

	/**
	 * The executor that applies changes and handles frames.
	 * @return the dispatch executor
	 */
	public ExecutorService dispatch() {
		return this.dispatch;
	}

	/**
	 * The executor that runs event listeners.
	 * @return the events executor
	 */
	public ExecutorService events() {
		return this.events;
	}

	@Override
	public void destroy() {
		this.dispatch.shutdown();
		this.events.shutdown();
		this.scheduler.shutdown();
	}

}
