package dev.presence.redis;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Runs a mutation until Redis answers it, retrying while Redis is unreachable or fails
 * over. Every {@code checkInterval} an unanswered attempt is looked at: when it is stuck
 * (its connection is down, or on a cluster the slot's master failed or changed since it
 * was sent) its command is cancelled (Lettuce then never sends it, if it still holds it: a
 * command queued for a dead master must not run after a later one); an attempt on a live
 * but slow connection is left to Lettuce's command timeout. Attempts are retried with a
 * doubling backoff, from 50ms up to 200ms, as long as the next one starts within
 * {@code timeout} of the first. The result is Redis's answer, or the last failure.
 * <p>
 * Only failures after which the command surely did not run, or may run again without
 * harm, are retried: a timeout or a lost connection, and Redis answering
 * {@code CLUSTERDOWN}, {@code TRYAGAIN}, {@code LOADING}, {@code READONLY} or
 * {@code MASTERDOWN}. Every script of the store is idempotent in effect (a put writes the
 * same entry under the same ref, a remove of a removed ref changes nothing), and the
 * caller dispatches each attempt in order with the changes of the same connection, so a
 * retry never undoes a later change. A {@code NOSCRIPT} answer (the promoted replica lacks
 * a script) is retried at once with {@code EVAL}.
 */
final class RedisRetry {

	private static final Log logger = LogFactory.getLog(RedisRetry.class);

	private static final long FIRST_BACKOFF_MILLIS = 50;

	private static final long MAX_BACKOFF_MILLIS = 200;

	private final Duration timeout;

	private final Duration checkInterval;

	private final Runnable onTransientFailure;

	/**
	 * @param timeout how long after the first attempt a retry may start
	 * @param checkInterval how often an unanswered attempt is looked at
	 * @param onTransientFailure called when an attempt failed and is retried (the time
	 * to look for a new topology)
	 */
	RedisRetry(Duration timeout, Duration checkInterval, Runnable onTransientFailure) {
		this.timeout = timeout;
		this.checkInterval = checkInterval;
		this.onTransientFailure = onTransientFailure;
	}

	/**
	 * Run a mutation.
	 * @param <T> the type of Redis's answer
	 * @param what the mutation, for the log
	 * @param dispatch sends one attempt, with {@code EVAL} rather than {@code EVALSHA} when
	 * given {@code true}, and returns Lettuce's command future itself (cancelling it must
	 * cancel the command); or {@code null} when the mutation no longer applies
	 * @param dropped the result when the mutation no longer applies
	 * @param route called as an attempt is sent; what it returns tells, when asked later,
	 * whether that attempt is stuck where it was sent
	 * @return a future of Redis's answer
	 */
	<T> CompletableFuture<T> run(String what, Function<Boolean, @Nullable CompletableFuture<T>> dispatch, T dropped,
			Supplier<BooleanSupplier> route) {
		CompletableFuture<T> result = new CompletableFuture<>();
		new Attempts<>(what, dispatch, dropped, route, result, System.nanoTime() + this.timeout.toNanos())
			.attempt(false, 0);
		return result;
	}

	/**
	 * Whether a failure is one that a retry may overcome, the command having surely not
	 * run or being harmless to run again.
	 * @param failure the failure
	 * @return whether to retry
	 */
	static boolean isTransient(Throwable failure) {
		Throwable ex = RedisScript.unwrap(failure);
		if (ex instanceof CancellationException || ex instanceof TimeoutException
				|| ex instanceof RedisCommandTimeoutException || ex instanceof RedisConnectionException) {
			return true;
		}
		if (!(ex instanceof RedisException) || ex.getMessage() == null) {
			return false;
		}
		String message = ex.getMessage();
		return message.startsWith("CLUSTERDOWN") || message.startsWith("TRYAGAIN") || message.startsWith("LOADING")
				|| message.startsWith("READONLY") || message.startsWith("MASTERDOWN")
				|| message.startsWith("Connection closed") || message.startsWith("Connection is closed")
				|| message.startsWith("Connection disconnected");
	}

	private void watch(CompletableFuture<?> call, BooleanSupplier stuck) {
		ScheduledFuture<?> look = RedisTimer.schedule(() -> {
			if (call.isDone()) {
				return;
			}
			boolean cancel;
			try {
				cancel = stuck.getAsBoolean();
			}
			catch (RuntimeException ex) {
				cancel = false;
			}
			if (cancel) {
				call.cancel(false);
			}
			else {
				watch(call, stuck);
			}
		}, this.checkInterval.toMillis());
		// an answered call needs no look: most are answered long before it
		call.whenComplete((answer, ex) -> look.cancel(false));
	}

	private final class Attempts<T> {

		private final String what;

		private final Function<Boolean, @Nullable CompletableFuture<T>> dispatch;

		private final T dropped;

		private final Supplier<BooleanSupplier> route;

		private final CompletableFuture<T> result;

		private final long deadline;

		Attempts(String what, Function<Boolean, @Nullable CompletableFuture<T>> dispatch, T dropped,
				Supplier<BooleanSupplier> route, CompletableFuture<T> result, long deadline) {
			this.route = route;
			this.what = what;
			this.dispatch = dispatch;
			this.dropped = dropped;
			this.result = result;
			this.deadline = deadline;
		}

		void attempt(boolean eval, int retries) {
			CompletableFuture<T> call;
			BooleanSupplier stuck;
			try {
				stuck = this.route.get();
				call = this.dispatch.apply(eval);
			}
			catch (RuntimeException ex) {
				this.result.completeExceptionally(ex);
				return;
			}
			if (call == null) {
				this.result.complete(this.dropped);
				return;
			}
			watch(call, stuck);
			call.whenComplete((answer, ex) -> {
				if (ex == null) {
					if (retries > 0) {
						logger.info(this.what + " succeeded after " + retries + " retries");
					}
					this.result.complete(answer);
				}
				else if (!eval && RedisScript.isNoScript(ex)) {
					attempt(true, retries);
				}
				else if (isTransient(ex) && !this.result.isDone()) {
					long backoff = Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(retries, 10));
					if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) - this.deadline > 0) {
						this.result.completeExceptionally(RedisScript.unwrap(ex));
						return;
					}
					if (retries == 0 || logger.isDebugEnabled()) {
						logger.info(this.what + " failed (" + RedisScript.unwrap(ex) + "), retrying");
					}
					try {
						RedisRetry.this.onTransientFailure.run();
					}
					catch (RuntimeException failure) {
						logger.warn("Could not act on a failed attempt of " + this.what, failure);
					}
					RedisTimer.schedule(() -> attempt(eval, retries + 1), backoff);
				}
				else {
					this.result.completeExceptionally(RedisScript.unwrap(ex));
				}
			});
		}

	}

}
