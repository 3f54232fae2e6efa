package dev.presence.engine;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;

import dev.presence.core.LogValues;
import dev.presence.core.Presence;


/**
 * Publishes presence events as Spring application events on an executor of their own,
 * so that a slow or throwing {@code @EventListener} never delays nor breaks delivery to
 * clients. Publishing never throws into the caller.
 */
public final class PresenceEventPublisher {

	private static final Log logger = LogFactory.getLog(PresenceEventPublisher.class);

	private final ApplicationEventPublisher publisher;

	private final Executor executor;

	/**
	 * Create a publisher.
	 * @param publisher the application's event publisher
	 * @param executor the executor listeners run on; a single thread keeps the events in
	 * the order the changes were applied
	 */
	public PresenceEventPublisher(ApplicationEventPublisher publisher, Executor executor) {
		this.publisher = publisher;
		this.executor = executor;
	}

	/**
	 * Publish an event.
	 * @param event a {@link PresenceJoinEvent}, {@link PresenceLeaveEvent} or
	 * {@link PresenceSyncEvent}
	 */
	public void publish(Object event) {
		try {
			this.executor.execute(() -> deliver(event));
		}
		catch (RejectedExecutionException ex) {
			logger.warn("Presence event dropped, the event queue is full (slow @EventListener?): "
					+ LogValues.quote(event));
		}
	}

	/**
	 * Publish an event built when its turn comes on the listeners' thread, so that it
	 * reflects the state at that moment; a {@code null} event is not published.
	 * @param event makes the event
	 */
	public void publishLater(Supplier<@Nullable Object> event) {
		try {
			this.executor.execute(() -> {
				Object built = event.get();
				if (built != null) {
					deliver(built);
				}
			});
		}
		catch (RejectedExecutionException ex) {
			logger.warn("Presence event dropped, the event queue is full (slow @EventListener?)");
		}
	}

	private void deliver(Object event) {
		try {
			this.publisher.publishEvent(event);
		}
		catch (Throwable ex) {
			logger.warn("A presence event listener failed on " + LogValues.quote(event), ex);
		}
	}

}
