package dev.presence.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceException;
import dev.presence.core.PresenceLimitExceededException;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceState;
import dev.presence.core.TrackedPresence;
import dev.presence.store.PresenceSnapshot;

/**
 * {@link PresenceService} on top of the node's {@link PresenceTopics}. Server-side presences
 * keep their topic followed, so the application sees their events like any other.
 */
public final class DefaultPresenceService implements PresenceService {

	private final PresenceTopics topics;

	private final Duration timeout;

	/**
	 * Create the service.
	 * @param topics the node's topics
	 * @param timeout how long a call waits for the store
	 */
	public DefaultPresenceService(PresenceTopics topics, Duration timeout) {
		this.topics = topics;
		this.timeout = timeout;
	}

	@Override
	public TrackedPresence track(String topic, String key, Map<String, @Nullable Object> state) {
		Assert.hasText(topic, "'topic' must not be empty");
		Assert.hasText(key, "'key' must not be empty");
		assertNoRefs(state);
		await(this.topics.follow(topic), "follow " + topic);
		try {
			Presence presence = await(this.topics.track(topic, key, PresenceState.of(state), null),
					"track in " + topic);
			return new ServerPresence(topic, key, presence);
		}
		catch (RuntimeException ex) {
			this.topics.unfollow(topic);
			throw ex;
		}
	}

	/**
	 * A meta's {@code phx_ref} and {@code phx_ref_prev} are the server's: a state that
	 * held them would reach clients with two of each.
	 */
	private static void assertNoRefs(Map<String, @Nullable Object> state) {
		Assert.notNull(state, "'state' must not be null");
		Assert.isTrue(!state.containsKey("phx_ref") && !state.containsKey("phx_ref_prev"),
				"'state' must not hold phx_ref or phx_ref_prev: the server sets them");
	}

	@Override
	public Map<String, List<Presence>> list(String topic) {
		TopicReplica replica = this.topics.replica(topic);
		if (replica != null) {
			return replica.presences();
		}
		PresenceSnapshot snapshot = await(this.topics.snapshot(topic), "read " + topic);
		Map<String, List<Presence>> byKey = new LinkedHashMap<>();
		snapshot.entries()
			.forEach((entry) -> byKey.computeIfAbsent(entry.key(), (k) -> new ArrayList<>()).add(entry.presence()));
		byKey.replaceAll((k, presences) -> List.copyOf(presences));
		return Collections.unmodifiableMap(byKey);
	}

	@Override
	public List<Presence> get(String topic, String key) {
		TopicReplica replica = this.topics.replica(topic);
		if (replica != null) {
			return replica.presences(key);
		}
		return list(topic).getOrDefault(key, List.of());
	}

	@Override
	public PresenceCount count(String topic) {
		TopicReplica replica = this.topics.replica(topic);
		if (replica != null) {
			return replica.count();
		}
		Map<String, List<Presence>> presences = list(topic);
		return new PresenceCount(presences.size(), presences.values().stream().mapToInt(List::size).sum());
	}

	private <T> T await(CompletableFuture<T> future, String operation) {
		try {
			return future.get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new PresenceException("Interrupted during " + operation, ex);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof PresenceLimitExceededException refused) {
				throw refused;
			}
			throw new PresenceException("Could not " + operation + ": " + ex.getCause().getMessage(), ex.getCause());
		}
		catch (TimeoutException ex) {
			throw new PresenceException("The presence store did not answer within " + this.timeout + " to "
					+ operation, ex);
		}
	}

	private final class ServerPresence implements TrackedPresence {

		private final String topic;

		private final String key;

		private @Nullable Presence presence;

		ServerPresence(String topic, String key, Presence presence) {
			this.topic = topic;
			this.key = key;
			this.presence = presence;
		}

		@Override
		public String topic() {
			return this.topic;
		}

		@Override
		public String key() {
			return this.key;
		}

		@Override
		public synchronized Presence presence() {
			Presence presence = this.presence;
			Assert.state(presence != null, "The presence was untracked");
			return presence;
		}

		@Override
		public synchronized void update(Map<String, @Nullable Object> state) {
			assertNoRefs(state);
			Presence current = presence();
			PresenceState encoded = PresenceState.of(state);
			if (current.encodedState().equals(encoded)) {
				return;
			}
			this.presence = await(DefaultPresenceService.this.topics.track(this.topic, this.key, encoded, current),
					"update in " + this.topic);
		}

		@Override
		public synchronized void untrack() {
			Presence current = this.presence;
			if (current == null) {
				return;
			}
			await(DefaultPresenceService.this.topics.untrack(this.topic, current), "untrack in " + this.topic);
			this.presence = null;
			DefaultPresenceService.this.topics.unfollow(this.topic);
		}

	}

}
