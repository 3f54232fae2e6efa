package dev.presence.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceState;
import dev.presence.core.PresenceSyncEvent;
import dev.presence.memory.InMemoryPresenceStore;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore;
import dev.presence.store.TopicBroadcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link TopicReplica}: changes applied in sequence order, whatever order,
 * gaps, duplicates and lost subscriptions the store delivers them with. Everything runs
 * on the test thread (a direct executor) unless a test says otherwise.
 */
class TopicReplicaTests {

	private static final String TOPIC = "realtime:room_01";

	private static final String NODE = "node-1";

	private static final String OTHER_NODE = "node-2";

	/** The replicas' timer (resync retries, the grace of a lost history), a daemon thread. */
	private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "replica-test-timer");
		thread.setDaemon(true);
		return thread;
	});

	private final ScriptedStore store = new ScriptedStore();

	private final List<Object> events = new CopyOnWriteArrayList<>();

	private final List<PresenceDiff> diffs = new CopyOnWriteArrayList<>();

	private final List<String> ownJoinsApplied = new CopyOnWriteArrayList<>();

	private final TopicReplica replica = replica(Duration.ZERO);

	@Test
	void startReadsTheSnapshotAfterSubscribingAndPublishesNoEventsForIt() {
		// given a topic that already holds presences
		this.store.join("alice", "a1", OTHER_NODE);
		this.store.join("bob", "b1", OTHER_NODE);
		// when the replica starts
		CompletableFuture<TopicReplica> ready = start();
		// then it holds the snapshot, subscribed before reading it
		assertThat(ready).isCompletedWithValue(this.replica);
		assertThat(this.store.calls).containsExactly("subscribe", "snapshot");
		assertThat(this.replica.presences()).containsOnlyKeys("alice", "bob");
		assertThat(this.replica.count()).isEqualTo(new PresenceCount(2, 2));
		assertThat(this.events).isEmpty();
	}

	@Test
	void appliesChangesInSequenceOrder() {
		// given a started replica
		start();
		// when changes are delivered in order
		PresenceChange first = this.store.deliver(this.store.join("alice", "a1", NODE));
		PresenceChange second = this.store.deliver(this.store.join("bob", "b1", NODE));
		PresenceChange third = this.store.deliver(this.store.leave("a1"));
		// then each is one diff, in that order
		assertThat(this.diffs).containsExactly(PresenceDiff.of(first.joins(), first.leaves()),
				PresenceDiff.of(second.joins(), second.leaves()), PresenceDiff.of(third.joins(), third.leaves()));
		assertThat(this.replica.presences()).containsOnlyKeys("bob");
		assertThat(this.replica.presences("bob")).extracting(Presence::ref).containsExactly("b1");
		assertThat(this.replica.presences("alice")).isEmpty();
	}

	@Test
	void dropsDuplicates() {
		// given a started replica that applied two changes
		start();
		PresenceChange first = this.store.deliver(this.store.join("alice", "a1", NODE));
		PresenceChange second = this.store.deliver(this.store.join("bob", "b1", NODE));
		// when both are delivered again
		this.store.deliver(first);
		this.store.deliver(second);
		// then nothing more happens, and the next change still applies
		assertThat(this.diffs).hasSize(2);
		assertThat(syncEvents()).hasSize(2);
		this.store.deliver(this.store.leave("a1"));
		assertThat(this.diffs).hasSize(3);
		assertThat(this.replica.presences()).containsOnlyKeys("bob");
		assertThat(this.store.calls).containsExactly("subscribe", "snapshot");
	}

	@Test
	void gapTriggersResyncThatYieldsExactlyTheMissingJoinsAndLeavesAsOneDiff() {
		// given a started replica at sequence 1
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// when changes 2 and 3 are lost and 4 arrives
		this.store.join("bob", "b1", OTHER_NODE);
		this.store.leave("a1");
		PresenceChange fourth = this.store.join("carol", "c1", OTHER_NODE);
		this.store.deliver(fourth);
		// then a snapshot is read and the difference is applied as one diff
		assertThat(this.store.calls).containsExactly("subscribe", "snapshot", "snapshot");
		assertThat(this.diffs).hasSize(2);
		PresenceDiff resync = this.diffs.get(1);
		assertThat(resync.joins()).containsOnlyKeys("bob", "carol");
		assertThat(resync.leaves()).containsOnlyKeys("alice");
		assertThat(resync.leaves().get("alice")).extracting(Presence::ref).containsExactly("a1");
		assertThat(this.replica.presences()).containsOnlyKeys("bob", "carol");
		// and the change that revealed the gap is not applied twice; the next one applies
		this.store.deliver(fourth);
		PresenceChange fifth = this.store.deliver(this.store.leave("b1"));
		assertThat(this.diffs).hasSize(3);
		assertThat(this.diffs.get(2)).isEqualTo(PresenceDiff.of(fifth.joins(), fifth.leaves()));
		assertThat(this.replica.presences()).containsOnlyKeys("carol");
	}

	@Test
	void resyncPublishesOneEventPerPresenceAndOneSyncEvent() {
		// given a replica at sequence 1
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.events.clear();
		// when a gap hides a join and a leave
		this.store.join("bob", "b1", NODE);
		this.store.leave("a1");
		this.store.deliver(this.store.join("carol", "c1", NODE));
		// then the resync publishes their joins and leaves, then one sync; no node made it
		assertThat(this.events).hasSize(4);
		assertThat(this.events.get(0)).isEqualTo(new PresenceJoinEvent(TOPIC, "bob", List.of(),
				List.of(this.store.presence("b1")), false, true));
		assertThat(this.events.get(1)).isEqualTo(new PresenceJoinEvent(TOPIC, "carol", List.of(),
				List.of(this.store.presence("c1")), false, true));
		assertThat(this.events.get(2)).isEqualTo(new PresenceLeaveEvent(TOPIC, "alice", List.of(),
				List.of(this.store.presence("a1")), false, true));
		assertThat(this.events.get(3)).isInstanceOf(PresenceSyncEvent.class);
		assertThat(((PresenceSyncEvent) this.events.get(3)).presences()).containsOnlyKeys("bob", "carol");
	}

	@Test
	void outOfOrderDeliveryEndsInTheStoresState() {
		// given a replica at sequence 0
		start();
		// when changes 1..3 are made and delivered 3, 1, 2
		PresenceChange first = this.store.join("alice", "a1", NODE);
		PresenceChange second = this.store.join("bob", "b1", NODE);
		PresenceChange third = this.store.leave("a1");
		this.store.deliver(third);
		this.store.deliver(first);
		this.store.deliver(second);
		// then the replica holds exactly what the store holds, reached through one resync diff
		assertThat(this.replica.presences()).containsOnlyKeys("bob");
		assertThat(this.diffs).singleElement().satisfies((diff) -> {
			assertThat(diff.joins()).containsOnlyKeys("bob");
			assertThat(diff.leaves()).isEmpty();
		});
		assertThat(syncEvents()).hasSize(1);
	}

	@Test
	void changesArrivingDuringAResyncAreHeldBackAndAppliedAfterIt() {
		// given a replica at sequence 1 whose next snapshot the store answers late
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.holdSnapshots = true;
		// when a gap starts a resync, and more changes arrive before its snapshot
		this.store.join("bob", "b1", NODE);
		this.store.deliver(this.store.join("carol", "c1", NODE));
		assertThat(this.diffs).hasSize(1);
		this.store.deliver(this.store.join("dave", "d1", NODE));
		assertThat(this.diffs).hasSize(1);
		PresenceSnapshot snapshot = this.store.takeSnapshot();
		PresenceChange fifth = this.store.deliver(this.store.leave("b1"));
		this.store.answerSnapshot(snapshot);
		// then the snapshot is applied as one diff and the change after it follows
		assertThat(this.diffs).hasSize(3);
		assertThat(this.diffs.get(1).joins()).containsOnlyKeys("bob", "carol", "dave");
		assertThat(this.diffs.get(1).leaves()).isEmpty();
		assertThat(this.diffs.get(2)).isEqualTo(PresenceDiff.of(fifth.joins(), fifth.leaves()));
		assertThat(this.replica.presences()).containsOnlyKeys("alice", "carol", "dave");
	}

	@Test
	void changesHeldBackDuringTheInitialSnapshotAreAppliedAfterItWhenNewer() {
		// given a topic at sequence 3, and a replica whose snapshot the store answers late
		this.store.join("alice", "a1", NODE);
		this.store.join("bob", "b1", NODE);
		this.store.join("carol", "c1", NODE);
		this.store.holdSnapshots = true;
		CompletableFuture<TopicReplica> ready = start();
		assertThat(ready).isNotDone();
		// when changes 4..6 are made, the snapshot is taken after 5, and all arrive before it, out of order
		PresenceChange fourth = this.store.leave("a1");
		PresenceChange fifth = this.store.join("dave", "d1", NODE);
		PresenceSnapshot snapshot = this.store.takeSnapshot();
		PresenceChange sixth = this.store.leave("b1");
		this.store.deliver(sixth);
		this.store.deliver(fourth);
		this.store.deliver(fifth);
		this.store.deliver(fourth);
		assertThat(this.diffs).isEmpty();
		this.store.answerSnapshot(snapshot);
		// then the snapshot is the state, changes 4 and 5 are dropped and 6 is applied once after it
		assertThat(ready).isCompleted();
		assertThat(this.diffs).hasSize(2);
		assertThat(this.diffs.get(0).joins()).containsOnlyKeys("bob", "carol", "dave");
		assertThat(this.diffs.get(0).leaves()).isEmpty();
		assertThat(this.diffs.get(1)).isEqualTo(PresenceDiff.of(sixth.joins(), sixth.leaves()));
		assertThat(this.replica.presences()).containsOnlyKeys("carol", "dave");
		assertThat(syncEvents()).hasSize(1);
	}

	@Test
	void changeHeldBackDuringTheInitialSnapshotOfANewTopicIsApplied() {
		// given a topic the store does not hold yet, and a replica whose snapshot the store answers late
		this.store.holdSnapshots = true;
		CompletableFuture<TopicReplica> ready = start();
		PresenceSnapshot empty = this.store.takeSnapshot();
		// when another node tracks the topic's first presence before the snapshot is answered
		PresenceChange first = this.store.deliver(this.store.join("alice", "a1", OTHER_NODE));
		this.store.answerSnapshot(empty);
		// then the change is applied after the (empty) snapshot
		assertThat(ready).isCompleted();
		assertThat(this.replica.presences()).containsOnlyKeys("alice");
		assertThat(this.diffs).containsExactly(PresenceDiff.of(first.joins(), first.leaves()));
	}

	@Test
	void firstChangeOfANewTopicIsApplied() {
		// given a replica of a topic the store does not hold yet
		start();
		// when its first change arrives
		PresenceChange first = this.store.deliver(this.store.join("alice", "a1", NODE));
		PresenceChange second = this.store.deliver(this.store.join("bob", "b1", NODE));
		// then both apply without a resync
		assertThat(this.diffs).containsExactly(PresenceDiff.of(first.joins(), first.leaves()),
				PresenceDiff.of(second.joins(), second.leaves()));
		assertThat(this.store.calls).containsExactly("subscribe", "snapshot");
	}

	@Test
	void storeThatLostTheTopicIsResynchronisedFromItsNewHistory() {
		// given a replica holding alice and bob
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.deliver(this.store.join("bob", "b1", NODE));
		// when the store loses the topic and carol's change starts a new history at sequence 1
		this.store.restart("epoch-2");
		this.store.deliver(this.store.join("carol", "c1", NODE));
		// then the replica takes the new history's state as one diff
		assertThat(this.replica.presences()).containsOnlyKeys("carol");
		assertThat(this.diffs).hasSize(3);
		assertThat(this.diffs.get(2).joins()).containsOnlyKeys("carol");
		assertThat(this.diffs.get(2).leaves()).containsOnlyKeys("alice", "bob");
		// and follows it from there
		this.store.deliver(this.store.join("dave", "d1", NODE));
		assertThat(this.replica.presences()).containsOnlyKeys("carol", "dave");
	}

	@Test
	void presencesMissingAfterTheStoreLostTheTopicAreKeptForTheGracePeriod() {
		// given a replica with a grace period, holding alice
		TopicReplica replica = replica(Duration.ofMillis(200));
		start(replica);
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// when the store loses the topic and a new history starts without her
		this.store.restart("epoch-2");
		this.store.deliver(this.store.join("carol", "c1", NODE));
		// then she is kept at first, and leaves once the grace period is over
		assertThat(replica.presences()).containsOnlyKeys("alice", "carol");
		assertThat(this.diffs.get(1).leaves()).isEmpty();
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(replica.presences()).containsOnlyKeys("carol"));
		assertThat(this.diffs.get(this.diffs.size() - 1).leaves()).containsOnlyKeys("alice");
	}

	@Test
	void ownJoinsAreReportedOnceApplied() {
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.deliver(this.store.join("bob", "b1", OTHER_NODE));
		this.store.deliver(this.store.update("alice", "a1", "a2", NODE));
		assertThat(this.ownJoinsApplied).containsExactly("a1", "a2");
	}

	@Test
	void lostSubscriptionTriggersResync() {
		// given a replica at sequence 1
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// when changes are made that never arrive, and the store reports the subscription lost
		this.store.leave("a1");
		this.store.join("bob", "b1", NODE);
		this.store.listener.onSubscriptionLost();
		// then a snapshot brings exactly the missing join and leave, as one diff
		assertThat(this.diffs).hasSize(2);
		assertThat(this.diffs.get(1).joins()).containsOnlyKeys("bob");
		assertThat(this.diffs.get(1).leaves()).containsOnlyKeys("alice");
		assertThat(this.replica.presences()).containsOnlyKeys("bob");
		// and changes after it apply in sequence
		this.store.deliver(this.store.join("carol", "c1", NODE));
		assertThat(this.diffs).hasSize(3);
	}

	@Test
	void lostSubscriptionWithNothingMissedChangesNothing() {
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// when the subscription is reported lost but nothing was missed
		this.store.listener.onSubscriptionLost();
		// then no diff and no event follow
		assertThat(this.diffs).hasSize(1);
		assertThat(syncEvents()).hasSize(1);
	}

	@Test
	void failedResyncIsRetried() {
		// given a replica whose first resync snapshot fails
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.failNextSnapshot = true;
		// when a gap is detected
		this.store.join("bob", "b1", NODE);
		this.store.deliver(this.store.join("carol", "c1", NODE));
		// then the replica resynchronises on a later attempt
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(this.replica.presences()).containsOnlyKeys("alice", "bob", "carol"));
		assertThat(this.diffs).hasSize(2);
	}

	@Test
	void updateIsAJoinEventOfTheNewPresenceThenALeaveEventOfTheOld() {
		// given alice present
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.events.clear();
		// when her presence is updated
		this.store.deliver(this.store.update("alice", "a1", "a2", NODE));
		Presence old = this.store.presence("a1");
		Presence updated = this.store.presence("a2");
		// then the join comes first, with the old presence still current, then the leave
		assertThat(this.events).hasSize(3);
		assertThat(this.events.get(0))
			.isEqualTo(new PresenceJoinEvent(TOPIC, "alice", List.of(old), List.of(updated), true, false));
		assertThat(this.events.get(1))
			.isEqualTo(new PresenceLeaveEvent(TOPIC, "alice", List.of(updated), List.of(old), true, false));
		assertThat(this.events.get(2)).isEqualTo(new PresenceSyncEvent(TOPIC, Map.of("alice", List.of(updated))));
		// and listeners see one diff with both
		assertThat(this.diffs.get(1).joins()).isEqualTo(Map.of("alice", List.of(updated)));
		assertThat(this.diffs.get(1).leaves()).isEqualTo(Map.of("alice", List.of(old)));
	}

	@Test
	void firstAndLastMarkTheKeysFirstAndLastPresence() {
		start();
		// when a key gets two presences and then loses both
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.deliver(this.store.join("alice", "a2", NODE));
		this.store.deliver(this.store.leave("a1"));
		this.store.deliver(this.store.leave("a2"));
		// then only the first join is first and only the last leave is last
		List<Object> presenceEvents = this.events.stream().filter((event) -> !(event instanceof PresenceSyncEvent)).toList();
		Presence a1 = this.store.presence("a1");
		Presence a2 = this.store.presence("a2");
		assertThat(presenceEvents).containsExactly(
				new PresenceJoinEvent(TOPIC, "alice", List.of(), List.of(a1), true, true),
				new PresenceJoinEvent(TOPIC, "alice", List.of(a1), List.of(a2), true, false),
				new PresenceLeaveEvent(TOPIC, "alice", List.of(a2), List.of(a1), true, false),
				new PresenceLeaveEvent(TOPIC, "alice", List.of(), List.of(a2), true, true));
	}

	@Test
	void exactlyOneSyncEventIsPublishedPerAppliedChangeAfterItsJoinAndLeaveEvents() {
		start();
		// when three changes apply, one of them twice
		PresenceChange first = this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.deliver(this.store.join("bob", "b1", NODE));
		this.store.deliver(first);
		this.store.deliver(this.store.update("alice", "a1", "a2", NODE));
		// then there is one sync per change, each the state after it and after its own events
		assertThat(this.events).extracting((event) -> event.getClass().getSimpleName())
			.containsExactly("PresenceJoinEvent", "PresenceSyncEvent", "PresenceJoinEvent", "PresenceSyncEvent",
					"PresenceJoinEvent", "PresenceLeaveEvent", "PresenceSyncEvent");
		List<PresenceSyncEvent> syncs = syncEvents();
		assertThat(syncs.get(0).presences()).containsOnlyKeys("alice");
		assertThat(syncs.get(1).presences()).containsOnlyKeys("alice", "bob");
		assertThat(syncs.get(2).presences().get("alice")).extracting(Presence::ref).containsExactly("a2");
		assertThat(syncs).extracting(PresenceSyncEvent::topic).containsOnly(TOPIC);
	}

	@Test
	void originIsTrueOnlyForChangesMadeByThisNode() {
		start();
		// when this node and another make changes
		this.store.deliver(this.store.join("alice", "a1", NODE));
		this.store.deliver(this.store.join("bob", "b1", OTHER_NODE));
		this.store.deliver(this.store.leave("b1", OTHER_NODE));
		this.store.deliver(this.store.leave("a1", NODE));
		// then only this node's changes are origin
		assertThat(this.events).filteredOn(PresenceJoinEvent.class::isInstance)
			.map((event) -> (PresenceJoinEvent) event)
			.extracting(PresenceJoinEvent::key, PresenceJoinEvent::origin)
			.containsExactly(tuple("alice", true),
					tuple("bob", false));
		assertThat(this.events).filteredOn(PresenceLeaveEvent.class::isInstance)
			.map((event) -> (PresenceLeaveEvent) event)
			.extracting(PresenceLeaveEvent::key, PresenceLeaveEvent::origin)
			.containsExactly(tuple("bob", false),
					tuple("alice", true));
	}

	@Test
	void leaveOfAnUnknownPresenceAndJoinOfAKnownOneChangeNothing() {
		start();
		PresenceChange join = this.store.deliver(this.store.join("alice", "a1", NODE));
		// when a change repeats a join under a new sequence and removes an unknown ref
		PresenceEntry ghost = new PresenceEntry("ghost", new Presence("g1", null, Map.of()), NODE);
		this.store.deliverRaw(join.joins(), List.of(ghost));
		// then no diff and no event are produced, and the sequence moves on
		assertThat(this.diffs).hasSize(1);
		assertThat(syncEvents()).hasSize(1);
		this.store.deliver(this.store.join("bob", "b1", NODE));
		assertThat(this.diffs).hasSize(2);
	}

	@Test
	void closedReplicaIgnoresChanges() {
		start();
		this.replica.close();
		// when a change arrives after close
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// then it is not applied
		assertThat(this.diffs).isEmpty();
		assertThat(this.replica.presences()).isEmpty();
	}

	@Test
	void taskGivenToExecuteSeesTheStateAndThenEveryLaterDiff() {
		start();
		this.store.deliver(this.store.join("alice", "a1", NODE));
		// when a listener is added from a task on the replica's executor
		List<Object> seen = new ArrayList<>();
		this.replica.execute(() -> {
			seen.add(this.replica.presences().keySet());
			this.replica.addListener(seen::add);
		});
		PresenceChange second = this.store.deliver(this.store.join("bob", "b1", NODE));
		// then it saw the state and then the diff after it
		assertThat(seen).containsExactly(Set.of("alice"), PresenceDiff.of(second.joins(), second.leaves()));
	}

	@Test
	void holdsThisNodesOwnPresenceInsteadOfTheEqualCopyTheStoreSentBack() {
		// given a replica that knows the presences this node tracks
		Map<String, Presence> own = new LinkedHashMap<>();
		TopicReplica replica = new TopicReplica(TOPIC, NODE, this.store, Runnable::run, TIMER,
				new PresenceEventPublisher(this.events::add, Runnable::run), Duration.ZERO, PresenceMonitor.NONE,
				(topic, ref) -> {
				}, own::get);
		start(replica);
		// when the store sends back this node's presence as an equal copy, and another
		// node's presence that this node happens to hold an equal of
		PresenceChange mine = this.store.join("alice", "a1", NODE);
		PresenceChange theirs = this.store.join("bob", "b1", OTHER_NODE);
		Presence tracked = copy(mine.joins().get(0).presence());
		own.put("a1", tracked);
		own.put("b1", copy(theirs.joins().get(0).presence()));
		this.store.deliver(mine);
		this.store.deliver(theirs);
		// then the replica holds the tracker's instance for its own, and the store's for the other
		assertThat(replica.presences("alice")).singleElement().isSameAs(tracked);
		assertThat(replica.presences("bob")).singleElement().isSameAs(theirs.joins().get(0).presence());
	}

	@Test
	void replicaOverInMemoryStoreFollowsItsChanges() {
		// given a replica of a topic of the in-memory store, on a real pool
		InMemoryPresenceStore memory = new InMemoryPresenceStore(NODE);
		List<Object> memoryEvents = new CopyOnWriteArrayList<>();
		ExecutorService pool = Executors.newFixedThreadPool(2);
		try {
			memory.put(TOPIC, entry("alice", "a1", NODE), null).join();
			TopicReplica replica = new TopicReplica(TOPIC, NODE, memory, pool, TIMER,
					new PresenceEventPublisher(memoryEvents::add, Runnable::run), Duration.ZERO, PresenceMonitor.NONE,
					(topic, ref) -> {
					});
			replica.start().join();
			// when the store changes
			memory.put(TOPIC, entry("bob", "b1", NODE), null).join();
			memory.put(TOPIC, new PresenceEntry("alice", new Presence("a2", "a1", Map.of("v", 2)), NODE), "a1").join();
			memory.remove(TOPIC, "b1").join();
			// then the replica ends in the store's state, through one sync per change
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
				assertThat(replica.presences()).containsOnlyKeys("alice");
				assertThat(replica.presences("alice")).extracting(Presence::ref).containsExactly("a2");
				assertThat(memoryEvents).filteredOn(PresenceSyncEvent.class::isInstance).hasSize(3);
			});
		}
		finally {
			pool.shutdownNow();
		}
	}

	private TopicReplica replica(Duration lostHistoryGrace) {
		return new TopicReplica(TOPIC, NODE, this.store, Runnable::run, TIMER,
				new PresenceEventPublisher(this.events::add, Runnable::run), lostHistoryGrace, PresenceMonitor.NONE,
				(topic, ref) -> this.ownJoinsApplied.add(ref));
	}

	private CompletableFuture<TopicReplica> start() {
		return start(this.replica);
	}

	private CompletableFuture<TopicReplica> start(TopicReplica replica) {
		replica.addListener(this.diffs::add);
		return replica.start();
	}

	private List<PresenceSyncEvent> syncEvents() {
		return this.events.stream()
			.filter(PresenceSyncEvent.class::isInstance)
			.map(PresenceSyncEvent.class::cast)
			.toList();
	}

	private static Presence copy(Presence presence) {
		return new Presence(presence.ref(), presence.previousRef(),
				PresenceState.fromJson(presence.encodedState().jsonBytes()));
	}

	private static PresenceEntry entry(String key, String ref, String node) {
		return new PresenceEntry(key, new Presence(ref, null, Map.of("key", key, "ref", ref)), node);
	}

	/**
	 * A store whose changes the test makes and delivers by hand: in order or not, twice,
	 * or never. Snapshots reflect every change made so far, and may be held back.
	 */
	private static final class ScriptedStore implements PresenceStore {

		final List<String> calls = new CopyOnWriteArrayList<>();

		final Map<String, PresenceEntry> entries = new LinkedHashMap<>();

		final Map<String, Presence> everySeen = new LinkedHashMap<>();

		final Queue<CompletableFuture<PresenceSnapshot>> heldSnapshots = new ArrayDeque<>();

		@Nullable PresenceChangeListener listener;

		long sequence;

		String epoch = "epoch-1";

		boolean holdSnapshots;

		boolean failNextSnapshot;

		PresenceChange join(String key, String ref, String node) {
			PresenceEntry entry = entry(key, ref, node);
			this.entries.put(ref, entry);
			this.everySeen.put(ref, entry.presence());
			return change(node, List.of(entry), List.of());
		}

		PresenceChange update(String key, String oldRef, String newRef, String node) {
			PresenceEntry old = this.entries.remove(oldRef);
			PresenceEntry entry = new PresenceEntry(key,
					new Presence(newRef, oldRef, Map.of("key", key, "ref", newRef)), node);
			this.entries.put(newRef, entry);
			this.everySeen.put(newRef, entry.presence());
			return change(node, List.of(entry), List.of(old));
		}

		PresenceChange leave(String ref) {
			return leave(ref, this.entries.get(ref).node());
		}

		PresenceChange leave(String ref, String node) {
			PresenceEntry removed = this.entries.remove(ref);
			return change(node, List.of(), List.of(removed));
		}

		Presence presence(String ref) {
			return this.everySeen.get(ref);
		}

		PresenceChange deliver(PresenceChange change) {
			this.listener.onChange(change);
			return change;
		}

		void deliverRaw(List<PresenceEntry> joins, List<PresenceEntry> leaves) {
			deliver(change(NODE, joins, leaves));
		}

		/**
		 * The store forgets the topic (a restart or a flush): a new history begins.
		 */
		void restart(String epoch) {
			this.entries.clear();
			this.sequence = 0;
			this.epoch = epoch;
		}

		PresenceSnapshot takeSnapshot() {
			// like the real stores, a topic the store never held has no epoch
			String epoch = (this.sequence == 0 && this.entries.isEmpty()) ? "" : this.epoch;
			return new PresenceSnapshot(TOPIC, epoch, this.sequence, new ArrayList<>(this.entries.values()));
		}

		void answerSnapshot(PresenceSnapshot snapshot) {
			this.heldSnapshots.remove().complete(snapshot);
		}

		private PresenceChange change(String node, List<PresenceEntry> joins, List<PresenceEntry> leaves) {
			return new PresenceChange(TOPIC, this.epoch, ++this.sequence, node, joins, leaves);
		}

		@Override
		public CompletableFuture<Void> put(String topic, PresenceEntry entry, @Nullable String replacedRef) {
			throw new UnsupportedOperationException("the replica never writes");
		}

		@Override
		public CompletableFuture<Void> remove(String topic, String ref) {
			throw new UnsupportedOperationException("the replica never writes");
		}

		@Override
		public CompletableFuture<PresenceSnapshot> snapshot(String topic) {
			this.calls.add("snapshot");
			if (this.failNextSnapshot) {
				this.failNextSnapshot = false;
				return CompletableFuture.failedFuture(new IllegalStateException("store unavailable"));
			}
			if (this.holdSnapshots) {
				CompletableFuture<PresenceSnapshot> held = new CompletableFuture<>();
				this.heldSnapshots.add(held);
				return held;
			}
			return CompletableFuture.completedFuture(takeSnapshot());
		}

		@Override
		public CompletableFuture<Void> subscribe(String topic, PresenceChangeListener listener) {
			this.calls.add("subscribe");
			this.listener = listener;
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public CompletableFuture<Void> unsubscribe(String topic) {
			this.calls.add("unsubscribe");
			this.listener = null;
			return CompletableFuture.completedFuture(null);
		}

		@Override
		public CompletableFuture<Void> broadcast(TopicBroadcast broadcast) {
			this.calls.add("broadcast");
			return CompletableFuture.completedFuture(null);
		}

	}

}
