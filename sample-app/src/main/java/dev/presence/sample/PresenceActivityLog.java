package dev.presence.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;

/**
 * Logs who comes online and who goes offline: the {@code @EventListener} example. The
 * {@code origin} condition makes each line appear once in the cluster, on the node where
 * the change happened.
 */
@Component
class PresenceActivityLog {

	private static final Log logger = LogFactory.getLog(PresenceActivityLog.class);

	@EventListener(condition = "#event.origin && #event.first")
	void cameOnline(PresenceJoinEvent event) {
		logger.info(event.key() + " came online in " + event.topic());
	}

	@EventListener(condition = "#event.origin && #event.last")
	void wentOffline(PresenceLeaveEvent event) {
		logger.info(event.key() + " went offline in " + event.topic());
	}

}
