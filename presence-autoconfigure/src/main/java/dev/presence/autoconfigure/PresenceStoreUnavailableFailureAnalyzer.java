package dev.presence.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

import dev.presence.redis.PresenceStoreUnavailableException;

/**
 * Explains an application that did not start because presence could not reach Redis, and
 * what to do about it, in place of the stack trace.
 */
final class PresenceStoreUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<PresenceStoreUnavailableException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, PresenceStoreUnavailableException cause) {
		String description = cause.getMessage() + ".\n\nPresence keeps who is online in Redis "
				+ "(spring.data.redis.*), so the application cannot serve presence without it.";
		String action = """
				Start Redis, or point spring.data.redis.host and spring.data.redis.port \
				(or spring.data.redis.cluster.nodes, or spring.data.redis.sentinel.*) at a Redis that is running.
				To try presence without Redis, on this node only, set presence.store=memory.""";
		return new FailureAnalysis(description, action, cause);
	}

}
