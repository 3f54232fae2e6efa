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
 * {@code origin} condition makes each line appear once in the cluster, on the node where
 * the change happened. Keys and topics are chosen by clients, so they are logged through
 * {@link LogValues#quote(Object)}: escaped, cut, and on one line.
 */
@Component
class PresenceActivityLog {

	private static final Log logger = LogFactory.getLog(PresenceActivityLog.class);

	@EventListener(condition = "#event.origin && #event.first")
	void cameOnline(PresenceJoinEvent event) {
		logger.info(LogValues.quote(event.key()) + " came online in " + LogValues.quote(event.topic()));
	}

	@EventListener(condition = "#event.origin && #event.last")
	void wentOffline(PresenceLeaveEvent event) {
		logger.info(LogValues.quote(event.key()) + " went offline in " + LogValues.quote(event.topic()));
	}

}
