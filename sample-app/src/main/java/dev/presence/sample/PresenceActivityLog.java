package dev.presence.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import dev.presence.core.LogValues;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;

/**
 * Logs who comes online and who goes offline: the {@code @EventListener} example. The
 * {@code origin} check makes each line appear once in the cluster, on the node where the
 * change happened. Keys and topics are chosen by clients, so they are logged through
 * {@link LogValues#quote(Object)}: escaped, cut, and on one line.
 * <p>
 * The checks are plain Java rather than a SpEL {@code condition}: a listener runs for
 * every presence change, and evaluating an expression (by reflection) for each one showed
 * in the node's CPU profile.
 */
@Component
class PresenceActivityLog {

	private static final Log logger = LogFactory.getLog(PresenceActivityLog.class);

	@EventListener
	void cameOnline(PresenceJoinEvent event) {
		if (event.origin() && event.first()) {
			logger.info(LogValues.quote(event.key()) + " came online in " + LogValues.quote(event.topic()));
		}
	}

	@EventListener
	void wentOffline(PresenceLeaveEvent event) {
		if (event.origin() && event.last()) {
			logger.info(LogValues.quote(event.key()) + " went offline in " + LogValues.quote(event.topic()));
		}
	}

}
