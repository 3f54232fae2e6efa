package dev.presence.engine;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.LogValues;
import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceLimitExceededException;
import dev.presence.core.PresenceState;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.TopicBroadcast;

/**
 * The topics this node follows and the presences it writes: one {@link TopicReplica} per
 * topic that has a local member, reference counted, and the store operations every
 * track goes through.
 */
public final class PresenceTopics {

	private static final Log logger = LogFactory.getLog(PresenceTopics.class);

	/** How long a topic stays followed after its last member left. */
	private static final Duration LINGER = Duration.ofSeconds(2);

	private final String nodeId;

	private final PresenceStore store;

	private final Executor executor;

	private final ScheduledExecutorService scheduler;

	private final PresenceEventPublisher events;

	private final Duration lostHistoryGrace;

	private final PresenceMonitor monitor;

	/**
	 * Refs of this node's changes on their way through the store, with their start times;
	 * at most one per live presence, since an update or untrack drops its predecessor's.
	 */
	private final Map<String, Long> inFlight = new ConcurrentHashMap<>();

	private final PresenceRefs refs = new PresenceRefs();

	private final int maxPresences;

	/**
	 * The presences this node tracks (for its connections and the application) by ref:
	 * counted against the maximum, and shared with the replicas so that each state is
	 * held once. An update in flight is there with its predecessor until it is stored.
	 */
	private final Map<String, Presence> owned = new ConcurrentHashMap<>();

	// guarded by itself
	private final Map<String, Followed> followed = new HashMap<>();

	// guarded by followed: topics whose unsubscribe is still running
	private final Map<String, CompletableFuture<Void>> closing = new HashMap<>();

	/**
	 * Create the topics of a node.
	 * @param nodeId the id of this node, unique in the cluster
	 * @param store the store
	 * @param executor the shared executor the replicas apply changes on
	 * @param scheduler the node's timer, for delays (what it runs is handed to the executor)
	 * @param events where presence events are published
	 * @param lostHistoryGrace how long a replica keeps showing presences that vanished
	 * because the store lost a topic, waiting for their nodes to re-assert them
	 * @param monitor told about changes and resyncs, for metrics
	 * @param maxPresences maximum number of presences this node tracks at once; a track
	 * that would add one more is refused
	 */
	public PresenceTopics(String nodeId, PresenceStore store, Executor executor, ScheduledExecutorService scheduler,
			PresenceEventPublisher events, Duration lostHistoryGrace, PresenceMonitor monitor, int maxPresences) {
		this.scheduler = scheduler;
		Assert.isTrue(maxPresences > 0, "'maxPresences' must be positive");
		this.maxPresences = maxPresences;
		this.lostHistoryGrace = lostHistoryGrace;
		this.monitor = monitor;
		Assert.hasText(nodeId, "'nodeId' must not be empty");
		this.nodeId = nodeId;
		this.store = store;
		this.executor = executor;
		this.events = events;
	}

	/**
	 * The id of this node.
	 * @return the node id
	 */
	public String nodeId() {
		return this.nodeId;
	}

	/**
	 * A new presence key, for a client that asked for none: a UUID version 1, as
	 * Supabase's server makes.
	 * @return the key
	 */
	public String newPresenceKey() {
		return this.refs.newUuidV1();
	}

	/**
	 * Follow a topic: its replica, in sync with the store. Every call must be matched by
	 * one {@link #unfollow(String)}.
	 * @param topic the topic
	 * @return a future of the replica, completed once it holds the topic's state
	 */
	public CompletableFuture<TopicReplica> follow(String topic) {
		synchronized (this.followed) {
			Followed existing = this.followed.get(topic);
			if (existing != null) {
				// also revives a replica lingering after its last member left
				existing.count++;
				return existing.ready;
			}
			TopicReplica replica = new TopicReplica(topic, this.nodeId, this.store, this.executor, this.scheduler, this.events,
					this.lostHistoryGrace, this.monitor, this::applied, this.owned::get);
			CompletableFuture<Void> previous = this.closing.getOrDefault(topic, CompletableFuture.completedFuture(null));
			CompletableFuture<TopicReplica> ready = previous.exceptionally((ex) -> null)
				.thenCompose((closed) -> replica.start());
			Followed followed = new Followed(replica, ready);
			this.followed.put(topic, followed);
			ready.whenComplete((started, ex) -> {
				if (ex != null) {
					logger.warn("Could not follow presence topic " + LogValues.quote(topic) + ": " + ex);
					synchronized (this.followed) {
						if (this.followed.get(topic) == followed) {
							this.followed.remove(topic);
							this.store.unsubscribe(topic);
						}
					}
				}
			});
			return ready;
		}
	}

	/**
	 * Stop following a topic once nobody on this node follows it any more. The replica
	 * lingers a moment first, so that the change the last member made on its way out (its
	 * leave) still reaches it and is published as this node's event, and a member that
	 * comes right back finds the topic followed.
	 * @param topic the topic
	 */
	public void unfollow(String topic) {
		synchronized (this.followed) {
			Followed followed = this.followed.get(topic);
			if (followed == null || --followed.count > 0) {
				return;
			}
		}
		this.scheduler.schedule(() -> this.executor.execute(() -> release(topic)), LINGER.toMillis(),
				TimeUnit.MILLISECONDS);
	}

	private void release(String topic) {
		synchronized (this.followed) {
			Followed followed = this.followed.get(topic);
			if (followed == null || followed.count > 0) {
				return;
			}
			this.followed.remove(topic);
			followed.replica.close();
			CompletableFuture<Void> unsubscribed = followed.ready.exceptionally((ex) -> null)
				.thenCompose((replica) -> this.store.unsubscribe(topic))
				.exceptionally((ex) -> null);
			this.closing.put(topic, unsubscribed);
			unsubscribed.whenComplete((done, ex) -> {
				synchronized (this.followed) {
					this.closing.remove(topic, unsubscribed);
				}
			});
		}
	}

	/**
	 * The replica of a topic this node follows and holds in sync.
	 * @param topic the topic
	 * @return the replica, or {@code null} when the topic is not followed or not in sync yet
	 */
	public @Nullable TopicReplica replica(String topic) {
		synchronized (this.followed) {
			Followed followed = this.followed.get(topic);
			return (followed != null && followed.ready.isDone() && !followed.ready.isCompletedExceptionally())
					? followed.replica : null;
		}
	}

	/**
	 * The counts of a topic this node follows: a read of its replica, for monitoring.
	 * @param topic the topic
	 * @return the counts, or {@code null} when the topic is not followed or not in sync yet
	 */
	public @Nullable PresenceCount followedCount(String topic) {
		TopicReplica replica = replica(topic);
		return (replica != null) ? replica.count() : null;
	}

	/**
	 * The topics this node follows.
	 * @return a copy of the topic names
	 */
	public Set<String> topics() {
		synchronized (this.followed) {
			return Set.copyOf(this.followed.keySet());
		}
	}

	/**
	 * Track a presence owned by this node, or update one. A first track is refused when
	 * the node already tracks its maximum number of presences; an update never is.
	 * @param topic the topic
	 * @param key the presence key
	 * @param state the state, encoded
	 * @param replaced the presence this one replaces, or {@code null} for a first track
	 * @return a future of the stored presence, failed with a
	 * {@link PresenceLimitExceededException} when the node is full
	 */
	public CompletableFuture<Presence> track(String topic, String key, PresenceState state,
			@Nullable Presence replaced) {
		String previousRef = (replaced != null) ? replaced.ref() : null;
		Presence presence = new Presence(this.refs.newRef(), previousRef, state);
		if (previousRef == null && !reserve(presence)) {
			return CompletableFuture.failedFuture(
					new PresenceLimitExceededException("TooManyPresences: This node holds the maximum number of presences"));
		}
		if (previousRef != null) {
			// its change may never have been applied here (a resync took it in instead)
			this.inFlight.remove(previousRef);
			// there before the store publishes it, for the replica to share
			this.owned.put(presence.ref(), presence);
		}
		this.inFlight.put(presence.ref(), System.nanoTime());
		return this.store.put(topic, new PresenceEntry(key, presence, this.nodeId), previousRef)
			.whenComplete((stored, ex) -> {
				if (ex != null) {
					this.inFlight.remove(presence.ref());
					this.owned.remove(presence.ref());
				}
				else if (previousRef != null) {
					this.owned.remove(previousRef);
				}
			})
			.thenApply((stored) -> presence);
	}

	/**
	 * Count a new presence against the node's maximum, if there is room for it.
	 */
	private boolean reserve(Presence presence) {
		// checked and added together, so that concurrent tracks cannot both take the last place
		synchronized (this.owned) {
			if (this.owned.size() >= this.maxPresences) {
				return false;
			}
			this.owned.put(presence.ref(), presence);
			return true;
		}
	}

	/**
	 * Count the presences this node tracks, for its connections and the application.
	 * @return the number of presences tracked and not untracked yet (an update on its way
	 * to the store counts with the presence it replaces)
	 */
	public int ownedCount() {
		return this.owned.size();
	}

	private void applied(String topic, String ref) {
		Long start = this.inFlight.remove(ref);
		if (start != null) {
			this.monitor.changeApplied(topic, System.nanoTime() - start);
		}
	}

	/**
	 * Untrack a presence owned by this node.
	 * @param topic the topic
	 * @param presence the presence
	 * @return a future completed once the presence is gone
	 */
	public CompletableFuture<Void> untrack(String topic, Presence presence) {
		this.inFlight.remove(presence.ref());
		// no longer counted even if the store cannot be reached: the connection or the
		// application let it go, and the store drops it with this node's heartbeat
		this.owned.remove(presence.ref());
		return this.store.remove(topic, presence.ref());
	}

	/**
	 * Send a broadcast to every member of a topic, on every node.
	 * @param topic the store topic
	 * @param event the event
	 * @param payload the payload
	 * @param sender the sending channel, left out by the members; {@code null} when every
	 * member receives it
	 * @return a future completed once the store published it
	 */
	public CompletableFuture<Void> broadcast(String topic, String event, BroadcastPayload payload,
			@Nullable String sender) {
		return this.store.broadcast(new TopicBroadcast(topic, event, payload, this.nodeId, sender));
	}

	/**
	 * Read a topic's state from the store, for topics this node does not follow.
	 * @param topic the topic
	 * @return the snapshot
	 */
	public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
		return this.store.snapshot(topic);
	}

	private static final class Followed {

		final TopicReplica replica;

		final CompletableFuture<TopicReplica> ready;

		int count = 1;

		Followed(TopicReplica replica, CompletableFuture<TopicReplica> ready) {
			this.replica = replica;
			this.ready = ready;
		}

	}

}
