package dev.presence.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;
import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceSyncEvent;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.PresenceStore.PresenceChangeListener;
import dev.presence.store.TopicBroadcast;

/**
 * This node's copy of one topic's presences, kept exact by applying the store's changes
 * strictly in sequence order.
 * <p>
 * It subscribes first and reads a snapshot second; changes that arrive before the
 * snapshot are held back, those the snapshot already reflects are dropped, and the rest
 * are applied in order. A change whose sequence number skips ahead (a lost pub/sub
 * message) or a lost subscription makes it resynchronise from a new snapshot: the
 * difference between the replica and the snapshot is applied as one diff, so listeners
 * and clients never see a presence lost or doubled.
 * <p>
 * Every change is applied on the topic's {@link SerialExecutor}; listeners are called
 * there too, in order, and tasks given to {@link #execute(Runnable)} run between two
 * changes, which is how a caller sees a state and every diff after it with nothing in
 * between.
 */
public final class TopicReplica implements PresenceChangeListener {

	private static final Log logger = LogFactory.getLog(TopicReplica.class);

	private static final Duration RESYNC_RETRY_DELAY = Duration.ofSeconds(1);

	private final String topic;

	private final String nodeId;

	private final PresenceStore store;

	private final SerialExecutor executor;

	// delays only: what it runs is handed to the executor
	private final ScheduledExecutorService timer;

	private final PresenceEventPublisher events;

	private final Duration lostHistoryGrace;

	private final PresenceMonitor monitor;

	private final BiConsumer<String, String> ownJoinApplied;

	private final Function<String, @Nullable Presence> ownPresences;

	private final AtomicLong syncVersion = new AtomicLong();

	private final List<TopicListener> listeners = new CopyOnWriteArrayList<>();

	private final CompletableFuture<TopicReplica> ready = new CompletableFuture<>();

	// guarded by this; mutated only on the executor
	private final Map<String, PresenceEntry> byRef = new HashMap<>();

	// guarded by this; key -> (ref -> entry), in join order
	private final Map<String, LinkedHashMap<String, PresenceEntry>> byKey = new LinkedHashMap<>();

	// guarded by this; rebuilt lazily after a change
	private @Nullable Map<String, List<Presence>> view;

	// the fields below are touched only on the executor
	private String epoch = "";

	private long sequence;

	/**
	 * Until when entries missing from a snapshot are kept, after the store lost the topic,
	 * on the {@link System#nanoTime()} clock (a wall-clock step cannot stretch or cut the
	 * grace); meaningful only while {@link #holdingMissing}.
	 */
	private long holdMissingUntilNanos;

	private boolean holdingMissing;

	private boolean synced;

	private boolean resyncing;

	private boolean closed;

	private final List<PresenceChange> pending = new ArrayList<>();

	TopicReplica(String topic, String nodeId, PresenceStore store, Executor sharedExecutor,
			ScheduledExecutorService timer, PresenceEventPublisher events, Duration lostHistoryGrace,
			PresenceMonitor monitor, BiConsumer<String, String> ownJoinApplied) {
		this(topic, nodeId, store, sharedExecutor, timer, events, lostHistoryGrace, monitor, ownJoinApplied,
				(ref) -> null);
	}

	/**
	 * Create a replica that holds this node's own presences as the instances their
	 * trackers hold.
	 * @param ownPresences this node's presence of a ref, or {@code null}: a join of it is
	 * kept as that instance instead of the equal copy the store sent back, so that its
	 * state is held once, not twice
	 */
	TopicReplica(String topic, String nodeId, PresenceStore store, Executor sharedExecutor,
			ScheduledExecutorService timer, PresenceEventPublisher events, Duration lostHistoryGrace,
			PresenceMonitor monitor, BiConsumer<String, String> ownJoinApplied,
			Function<String, @Nullable Presence> ownPresences) {
		this.timer = timer;
		this.ownPresences = ownPresences;
		this.lostHistoryGrace = lostHistoryGrace;
		this.monitor = monitor;
		this.ownJoinApplied = ownJoinApplied;
		this.topic = topic;
		this.nodeId = nodeId;
		this.store = store;
		this.executor = new SerialExecutor(sharedExecutor);
		this.events = events;
	}

	/**
	 * The topic.
	 * @return the topic
	 */
	public String topic() {
		return this.topic;
	}

	CompletableFuture<TopicReplica> start() {
		this.store.subscribe(this.topic, this)
			.thenCompose((subscribed) -> this.store.snapshot(this.topic))
			.whenComplete((snapshot, ex) -> execute(() -> {
				if (ex != null) {
					this.ready.completeExceptionally(ex);
				}
				else {
					applySnapshot(snapshot, false);
					this.ready.complete(this);
				}
			}));
		return this.ready;
	}

	void close() {
		execute(() -> {
			this.closed = true;
			this.listeners.clear();
		});
	}

	/**
	 * Add a listener for the diffs of the topic. Call it from a task given to
	 * {@link #execute(Runnable)} to see the state and then every diff after it.
	 * @param listener the listener
	 */
	public void addListener(TopicListener listener) {
		this.listeners.add(listener);
	}

	/**
	 * Remove a listener.
	 * @param listener the listener
	 */
	public void removeListener(TopicListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * Run a task on the topic's serial executor, between two applied changes.
	 * @param task the task; it must not block
	 */
	public void execute(Runnable task) {
		this.executor.execute(task);
	}

	/**
	 * The current state of the topic on this node: key to its presences, keys and
	 * presences in join order.
	 * @return an immutable view
	 */
	public synchronized Map<String, List<Presence>> presences() {
		Map<String, List<Presence>> view = this.view;
		if (view == null) {
			Map<String, List<Presence>> built = new LinkedHashMap<>();
			this.byKey.forEach((key, entries) -> built.put(key, presencesOf(entries)));
			view = Collections.unmodifiableMap(built);
			this.view = view;
		}
		return view;
	}

	/**
	 * The presences of one key.
	 * @param key the key
	 * @return the presences, empty when the key is absent
	 */
	public synchronized List<Presence> presences(String key) {
		LinkedHashMap<String, PresenceEntry> entries = this.byKey.get(key);
		return (entries != null) ? presencesOf(entries) : List.of();
	}

	/**
	 * Count the keys and presences of the topic.
	 * @return the count
	 */
	public synchronized PresenceCount count() {
		return new PresenceCount(this.byKey.size(), this.byRef.size());
	}

	@Override
	public void onChange(PresenceChange change) {
		execute(() -> receive(change));
	}

	/**
	 * Hand a broadcast to the listeners, on the topic's serial executor: it takes no part
	 * in the presence state, so it is not held back while the replica resynchronises.
	 */
	@Override
	public void onBroadcast(TopicBroadcast broadcast) {
		execute(() -> {
			if (this.closed) {
				return;
			}
			tellListeners((listener) -> listener.onBroadcast(broadcast), "a broadcast");
		});
	}

	@Override
	public void onSubscriptionLost() {
		execute(() -> {
			if (!this.closed && this.ready.isDone()) {
				logger.info("Presence subscription of " + LogValues.quote(this.topic) + " was lost, resynchronising");
				resync();
			}
		});
	}

	private void receive(PresenceChange change) {
		if (this.closed) {
			return;
		}
		if (!this.synced) {
			this.pending.add(change);
			return;
		}
		if (this.epoch.isEmpty() && this.sequence == 0 && change.sequence() == 1) {
			// the first change of a topic the store did not hold when the snapshot was taken
			this.epoch = change.epoch();
		}
		if (!change.epoch().equals(this.epoch)) {
			logger.info("Presence store lost the history of " + LogValues.quote(this.topic) + " (epoch " + this.epoch
					+ " is now " + change.epoch() + "), resynchronising");
			this.pending.add(change);
			resync();
			return;
		}
		if (change.sequence() <= this.sequence) {
			if (logger.isDebugEnabled()) {
				logger.debug("Dropping change " + change.sequence() + " of " + LogValues.quote(this.topic)
						+ ", already at " + this.sequence);
			}
			return;
		}
		if (change.sequence() != this.sequence + 1) {
			logger.info("Presence change " + (this.sequence + 1) + " of " + LogValues.quote(this.topic)
					+ " was lost (got " + change.sequence() + "), resynchronising");
			this.pending.add(change);
			resync();
			return;
		}
		boolean origin = change.origin().equals(this.nodeId);
		apply(change.joins(), change.leaves(), origin, true);
		this.sequence = change.sequence();
		if (origin) {
			change.joins().forEach((entry) -> this.ownJoinApplied.accept(this.topic, entry.ref()));
		}
	}

	private void resync() {
		this.synced = false;
		if (this.resyncing) {
			return;
		}
		this.resyncing = true;
		this.monitor.resynchronised(this.topic);
		this.store.snapshot(this.topic).whenComplete((snapshot, ex) -> execute(() -> {
			this.resyncing = false;
			if (this.closed) {
				return;
			}
			if (ex != null) {
				logger.warn("Could not read the presences of " + LogValues.quote(this.topic)
						+ " to resynchronise, retrying: " + ex);
				later(RESYNC_RETRY_DELAY, this::resync);
				return;
			}
			applySnapshot(snapshot, true);
		}));
	}

	/**
	 * Run a task on this replica's executor after a delay.
	 */
	private void later(Duration delay, Runnable task) {
		this.timer.schedule(() -> this.executor.execute(task), delay.toMillis(), TimeUnit.MILLISECONDS);
	}

	private void applySnapshot(PresenceSnapshot snapshot, boolean publishEvents) {
		long now = System.nanoTime();
		if (!this.epoch.isEmpty() && !this.epoch.equals(snapshot.epoch())) {
			// The store lost the topic (restart, flush, expiry): live nodes re-assert their
			// presences within a heartbeat, so keep showing what is missing for a while
			// instead of sending leaves for presences whose connections never dropped.
			this.holdMissingUntilNanos = now + this.lostHistoryGrace.toNanos();
			this.holdingMissing = true;
			if (!this.lostHistoryGrace.isZero()) {
				later(this.lostHistoryGrace, () -> {
					if (!this.closed) {
						resync();
					}
				});
			}
		}
		boolean holdMissing = this.holdingMissing && now - this.holdMissingUntilNanos < 0;
		if (!holdMissing) {
			this.holdingMissing = false;
		}
		Map<String, PresenceEntry> target = new LinkedHashMap<>();
		snapshot.entries().forEach((entry) -> target.put(entry.ref(), entry));
		List<PresenceEntry> joins = new ArrayList<>();
		List<PresenceEntry> leaves = new ArrayList<>();
		synchronized (this) {
			if (!holdMissing) {
				this.byRef.values().stream().filter((entry) -> !target.containsKey(entry.ref())).forEach(leaves::add);
			}
			target.values().stream().filter((entry) -> !this.byRef.containsKey(entry.ref())).forEach(joins::add);
		}
		apply(joins, leaves, false, publishEvents);
		this.epoch = snapshot.epoch();
		this.sequence = snapshot.sequence();
		this.synced = true;
		List<PresenceChange> held = new ArrayList<>(this.pending);
		this.pending.clear();
		held.sort(Comparator.comparingLong(PresenceChange::sequence));
		for (PresenceChange change : held) {
			// changes of another epoch than the snapshot's are from a history it replaced,
			// unless the store held nothing of the topic when the snapshot was read
			if (this.epoch.isEmpty() || change.epoch().equals(this.epoch)) {
				receive(change);
			}
		}
	}

	private void apply(List<PresenceEntry> joins, List<PresenceEntry> leaves, boolean origin, boolean publishEvents) {
		Map<String, List<Presence>> joined = new LinkedHashMap<>();
		Map<String, List<Presence>> left = new LinkedHashMap<>();
		List<Object> changeEvents = new ArrayList<>();
		synchronized (this) {
			for (PresenceEntry join : joins) {
				if (this.byRef.containsKey(join.ref())) {
					continue;
				}
				PresenceEntry entry = shared(join);
				LinkedHashMap<String, PresenceEntry> ofKey = this.byKey.computeIfAbsent(entry.key(),
						(key) -> new LinkedHashMap<>());
				List<Presence> before = presencesOf(ofKey);
				this.byRef.put(entry.ref(), entry);
				ofKey.put(entry.ref(), entry);
				joined.computeIfAbsent(entry.key(), (key) -> new ArrayList<>()).add(entry.presence());
				changeEvents.add(new PresenceJoinEvent(this.topic, entry.key(), before, List.of(entry.presence()),
						origin, before.isEmpty()));
			}
			for (PresenceEntry entry : leaves) {
				PresenceEntry removed = this.byRef.remove(entry.ref());
				if (removed == null) {
					continue;
				}
				LinkedHashMap<String, PresenceEntry> ofKey = this.byKey.get(removed.key());
				ofKey.remove(removed.ref());
				List<Presence> after = presencesOf(ofKey);
				if (after.isEmpty()) {
					this.byKey.remove(removed.key());
				}
				left.computeIfAbsent(removed.key(), (key) -> new ArrayList<>()).add(removed.presence());
				changeEvents.add(new PresenceLeaveEvent(this.topic, removed.key(), after, List.of(removed.presence()),
						origin, after.isEmpty()));
			}
			if (!joined.isEmpty() || !left.isEmpty()) {
				this.view = null;
			}
		}
		if (joined.isEmpty() && left.isEmpty()) {
			return;
		}
		PresenceDiff diff = new PresenceDiff(joined, left);
		tellListeners((listener) -> listener.onDiff(diff), "a diff");
		if (publishEvents) {
			changeEvents.forEach(this.events::publish);
			// a sync follows every change's events, but only the last of the changes applied
			// before the listeners get to it builds the full state: once per batch, not per change
			long version = this.syncVersion.incrementAndGet();
			this.events.publishLater(() -> (this.syncVersion.get() == version)
					? new PresenceSyncEvent(this.topic, presences()) : null);
		}
	}

	/**
	 * Call every listener; one that fails is logged and the others are still called.
	 */
	private void tellListeners(Consumer<TopicListener> call, String what) {
		for (TopicListener listener : this.listeners) {
			try {
				call.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.error("Listener of " + LogValues.quote(this.topic) + " failed on " + what, ex);
			}
		}
	}

	/**
	 * The entry to hold for a join: with this node's own instance of the presence when it
	 * has one equal to it.
	 */
	private PresenceEntry shared(PresenceEntry entry) {
		if (!entry.node().equals(this.nodeId)) {
			return entry;
		}
		Presence own = this.ownPresences.apply(entry.ref());
		return (own != null && own != entry.presence() && own.equals(entry.presence()))
				? new PresenceEntry(entry.key(), own, entry.node()) : entry;
	}

	private static List<Presence> presencesOf(Map<String, PresenceEntry> entries) {
		List<Presence> presences = new ArrayList<>(entries.size());
		entries.values().forEach((entry) -> presences.add(entry.presence()));
		return Collections.unmodifiableList(presences);
	}

}
