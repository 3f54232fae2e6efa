package dev.presence.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;

/**
 * Applying one change to a {@link TopicReplica} of a topic with {@code presences}
 * members: the sequence check, the two indexes, the diff handed to a listener, and the
 * join/leave/sync events built for the application (their delivery is not measured: the
 * event executor drops them). Runs every task inline. Lives in the core package to reach
 * the replica's constructor.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicReplicaBenchmark {

	private static final String TOPIC = "realtime:room_01";

	private static final String EPOCH = "epoch-1";

	@Param({ "10", "1000", "10000" })
	public int presences;

	private TopicReplica replica;

	// never fires in the benchmark: only a failed resync or a lost history schedule on it
	private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "replica-benchmark-timer");
		thread.setDaemon(true);
		return thread;
	});

	private String[] currentRefs;

	private long sequence;

	private long counter;

	private Blackhole blackhole;

	@Setup(Level.Iteration)
	public void setUp(Blackhole blackhole) {
		this.blackhole = blackhole;
		List<PresenceEntry> entries = new ArrayList<>(this.presences);
		this.currentRefs = new String[this.presences];
		for (int i = 0; i < this.presences; i++) {
			this.currentRefs[i] = "ref-" + i + "-0";
			entries.add(entry(i, this.currentRefs[i], null, 0));
		}
		PresenceSnapshot snapshot = new PresenceSnapshot(TOPIC, EPOCH, 0, entries);
		PresenceEventPublisher events = new PresenceEventPublisher((event) -> {
		}, (task) -> {
		});
		this.replica = new TopicReplica(TOPIC, "node-b", new SnapshotStore(snapshot), Runnable::run, this.timer, events,
				Duration.ofSeconds(10), PresenceMonitor.NONE, (topic, ref) -> {
				});
		this.replica.addListener((diff) -> this.blackhole.consume(diff));
		this.replica.start().join();
		this.sequence = 0;
	}

	/** One member updates its presence: a join and a leave under its key. */
	@Benchmark
	public void applyUpdate() {
		int member = (int) (this.counter++ % this.presences);
		String previous = this.currentRefs[member];
		String ref = "ref-" + member + "-" + this.counter;
		this.currentRefs[member] = ref;
		PresenceChange change = new PresenceChange(TOPIC, EPOCH, ++this.sequence, "node-a",
				List.of(entry(member, ref, previous, this.counter)), List.of(entry(member, previous, null, 0)));
		this.replica.onChange(change);
	}

	private static PresenceEntry entry(int member, String ref, @Nullable String previousRef, long n) {
		Map<String, @Nullable Object> state = new LinkedHashMap<>();
		state.put("user_id", "user-" + member);
		state.put("name", "User " + member);
		state.put("status", "online");
		state.put("online_at", "2026-05-01T12:00:00.000Z");
		state.put("n", n);
		return new PresenceEntry("user-" + member, new Presence(ref, previousRef, state), "node-a");
	}

	/** A store that only answers the replica's start. */
	private static final class SnapshotStore implements PresenceStore {

		private final PresenceSnapshot snapshot;

		SnapshotStore(PresenceSnapshot snapshot) {
			this.snapshot = snapshot;
		}

		@Override
		public CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef) {
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public CompletableFuture<Void> remove(String topic, String ref) {
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
			return CompletableFuture.completedFuture(this.snapshot);
		}

		@Override
		public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public CompletableFuture<Void> unsubscribe(String topic) {
			return CompletableFuture.completedFuture(null);
		}

	}

}
