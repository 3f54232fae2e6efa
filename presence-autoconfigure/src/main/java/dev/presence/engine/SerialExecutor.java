package dev.presence.engine;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.presence.core.Presence;


/**
 * Runs tasks one at a time, in submission order, on a shared executor: the ordering of a
 * single thread without a thread of its own. A task that throws is logged and does not
 * stop the ones after it.
 */
final class SerialExecutor implements Executor {

	private static final Log logger = LogFactory.getLog(SerialExecutor.class);

	private static final int FAIR_SHARE = 64;

	private final Executor delegate;

	private final Queue<Runnable> tasks = new ArrayDeque<>();

	private boolean running;

	public SerialExecutor(Executor delegate) {
		this.delegate = delegate;
	}

	@Override
	public void execute(Runnable task) {
		synchronized (this.tasks) {
			this.tasks.add(task);
			if (this.running) {
				return;
			}
			this.running = true;
		}
		this.delegate.execute(this::drain);
	}

	private void drain() {
		for (int done = 0;; done++) {
			if (done == FAIR_SHARE) {
				// let other serial executors on the shared pool have their turn
				this.delegate.execute(this::drain);
				return;
			}
			Runnable task;
			synchronized (this.tasks) {
				task = this.tasks.poll();
				if (task == null) {
					this.running = false;
					return;
				}
			}
			try {
				task.run();
			}
			catch (Throwable ex) {
				logger.error("Presence task failed", ex);
			}
		}
	}

}
