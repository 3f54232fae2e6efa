package dev.presence.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.BroadcastService;
import dev.presence.core.PresenceException;

/**
 * {@link BroadcastService} on top of the node's {@link PresenceTopics}: one publish to the
 * store per broadcast, whatever the number of nodes and members. A {@code byte[]} payload
 * is sent as binary, anything else as JSON.
 */
public final class DefaultBroadcastService implements BroadcastService {

	/** The topic prefix every channel's topic has (after {@code private:} for private ones). */
	private static final String TOPIC_PREFIX = "realtime:";

	private static final String PRIVATE_PREFIX = "private:";

	private final PresenceTopics topics;

	/**
	 * Create the service.
	 * @param topics the node's topics
	 */
	public DefaultBroadcastService(PresenceTopics topics) {
		this.topics = topics;
	}

	@Override
	public CompletableFuture<Void> send(String topic, String event, @Nullable Object payload) {
		Assert.hasText(event, "'event' must not be empty");
		Assert.isTrue(isChannelTopic(topic), () -> "'topic' must be a channel's topic, 'realtime:<name>' or "
				+ "'private:realtime:<name>', not '" + topic + "'");
		BroadcastPayload encoded = (payload instanceof BroadcastPayload given) ? given
				: (payload instanceof byte[] bytes) ? BroadcastPayload.ofBinary(bytes.clone())
						: BroadcastPayload.of(payload);
		CompletableFuture<Void> sent;
		try {
			sent = this.topics.broadcast(topic, event, encoded, null);
		}
		catch (RuntimeException ex) {
			sent = CompletableFuture.failedFuture(ex);
		}
		return sent.exceptionallyCompose((ex) -> {
			Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
			return CompletableFuture.failedFuture(
					new PresenceException("Could not broadcast to " + topic + ": " + cause.getMessage(), cause));
		});
	}

	private static boolean isChannelTopic(@Nullable String topic) {
		if (topic == null) {
			return false;
		}
		String wire = topic.startsWith(PRIVATE_PREFIX) ? topic.substring(PRIVATE_PREFIX.length()) : topic;
		return wire.startsWith(TOPIC_PREFIX) && wire.length() > TOPIC_PREFIX.length();
	}

}
