package dev.presence.memory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import dev.presence.core.Presence;
import dev.presence.store.PresenceChange;
import dev.presence.store.PresenceEntry;
import dev.presence.store.PresenceSnapshot;
import dev.presence.store.PresenceStore.PresenceChangeListener;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link InMemoryPresenceStore}.
 */
class InMemoryPresenceStoreTests {

	private static final String NODE = "node-1";

	private static final String TOPIC = "realtime:room_01";

	private final InMemoryPresenceStore store = new InMemoryPresenceStore(NODE);

	private final RecordingListener listener = new RecordingListener();

	@Test
	void changesOfATopicCarryConsecutiveSequenceNumbersFromOne() {
		// given a subscriber
		this.store.subscribe(TOPIC, this.listener).join();
		// when entries are put, updated and removed
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		this.store.put(TOPIC, entry("bob", "b1"), null).join();
		this.store.put(TOPIC, entry("alice", "a2"), "a1").join();
		this.store.remove(TOPIC, "b1").join();
		// then the changes are numbered 1, 2, 3, 4, in that order, from this node
		assertThat(this.listener.changes).extracting(PresenceChange::sequence).containsExactly(1L, 2L, 3L, 4L);
		assertThat(this.listener.changes).extracting(PresenceChange::origin).containsOnly(NODE);
		assertThat(this.listener.changes).extracting(PresenceChange::topic).containsOnly(TOPIC);
	}

	@Test
	void eachTopicHasItsOwnSequence() {
		// given subscribers of two topics
		RecordingListener other = new RecordingListener();
		this.store.subscribe(TOPIC, this.listener).join();
		this.store.subscribe("realtime:other", other).join();
		// when entries are put in both
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		this.store.put("realtime:other", entry("bob", "b1"), null).join();
		this.store.put(TOPIC, entry("carol", "c1"), null).join();
		// then each topic counts from one and only sees its own changes
		assertThat(this.listener.changes).extracting(PresenceChange::sequence).containsExactly(1L, 2L);
		assertThat(other.changes).extracting(PresenceChange::sequence).containsExactly(1L);
		assertThat(other.changes.get(0).joins()).extracting(PresenceEntry::ref).containsExactly("b1");
	}

	@Test
	void putIsOneChangeWithOneJoin() {
		this.store.subscribe(TOPIC, this.listener).join();
		// when an entry is put
		PresenceEntry alice = entry("alice", "a1");
		this.store.put(TOPIC, alice, null).join();
		// then one change joins it and nothing leaves
		assertThat(this.listener.changes).singleElement().satisfies((change) -> {
			assertThat(change.joins()).containsExactly(alice);
			assertThat(change.leaves()).isEmpty();
		});
	}

	@Test
	void updateIsOneChangeWithTheNewEntryJoiningAndTheReplacedOneLeaving() {
		// given a stored entry
		this.store.subscribe(TOPIC, this.listener).join();
		PresenceEntry old = entry("alice", "a1");
		this.store.put(TOPIC, old, null).join();
		// when it is replaced
		PresenceEntry updated = new PresenceEntry("alice", new Presence("a2", "a1", Map.of("v", 2)), NODE);
		this.store.put(TOPIC, updated, "a1").join();
		// then one change carries both the join and the leave
		assertThat(this.listener.changes).hasSize(2);
		PresenceChange change = this.listener.changes.get(1);
		assertThat(change.sequence()).isEqualTo(2);
		assertThat(change.joins()).containsExactly(updated);
		assertThat(change.leaves()).containsExactly(old);
		// and only the new entry is left
		assertThat(this.store.snapshot(TOPIC).join().entries()).containsExactly(updated);
	}

	@Test
	void updateOfAnUnknownRefIsAPlainJoin() {
		this.store.subscribe(TOPIC, this.listener).join();
		// when an entry replaces one that is not there
		PresenceEntry entry = entry("alice", "a2");
		this.store.put(TOPIC, entry, "gone").join();
		// then nothing leaves
		assertThat(this.listener.changes).singleElement().satisfies((change) -> {
			assertThat(change.joins()).containsExactly(entry);
			assertThat(change.leaves()).isEmpty();
		});
	}

	@Test
	void removeIsOneChangeWithOneLeave() {
		this.store.subscribe(TOPIC, this.listener).join();
		PresenceEntry alice = entry("alice", "a1");
		this.store.put(TOPIC, alice, null).join();
		// when the entry is removed
		this.store.remove(TOPIC, "a1").join();
		// then one change lets it leave
		assertThat(this.listener.changes).hasSize(2);
		assertThat(this.listener.changes.get(1).joins()).isEmpty();
		assertThat(this.listener.changes.get(1).leaves()).containsExactly(alice);
	}

	@Test
	void removeOfAnUnknownRefPublishesNothingAndKeepsTheSequence() {
		// given one change made
		this.store.subscribe(TOPIC, this.listener).join();
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		// when refs that are not there are removed, in this topic and in an unknown one
		this.store.remove(TOPIC, "nope").join();
		this.store.remove("realtime:unknown", "nope").join();
		// then nothing is published, and the next change follows on without a gap
		assertThat(this.listener.changes).hasSize(1);
		assertThat(this.store.snapshot(TOPIC).join().sequence()).isEqualTo(1);
		this.store.put(TOPIC, entry("bob", "b1"), null).join();
		assertThat(this.listener.changes).extracting(PresenceChange::sequence).containsExactly(1L, 2L);
	}

	@Test
	void removingTheSameRefTwicePublishesOnce() {
		this.store.subscribe(TOPIC, this.listener).join();
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		// when the entry is removed twice
		this.store.remove(TOPIC, "a1").join();
		this.store.remove(TOPIC, "a1").join();
		// then one leave is published
		assertThat(this.listener.changes).hasSize(2);
	}

	@Test
	void snapshotHoldsEveryEntryInInsertionOrderWithTheLastSequence() {
		// given entries put, updated and removed
		PresenceEntry alice = entry("alice", "a1");
		PresenceEntry bob = entry("bob", "b1");
		PresenceEntry carol = entry("carol", "c1");
		PresenceEntry alice2 = new PresenceEntry("alice", new Presence("a2", "a1", Map.of("v", 2)), NODE);
		this.store.put(TOPIC, alice, null).join();
		this.store.put(TOPIC, bob, null).join();
		this.store.put(TOPIC, carol, null).join();
		this.store.remove(TOPIC, "b1").join();
		this.store.put(TOPIC, alice2, "a1").join();
		// when a snapshot is read
		PresenceSnapshot snapshot = this.store.snapshot(TOPIC).join();
		// then it holds what is there now, and the number of the last change
		assertThat(snapshot.topic()).isEqualTo(TOPIC);
		assertThat(snapshot.sequence()).isEqualTo(5);
		assertThat(snapshot.entries()).containsExactly(carol, alice2);
	}

	@Test
	void snapshotOfAnUnknownTopicIsEmptyAtSequenceZero() {
		PresenceSnapshot snapshot = this.store.snapshot("realtime:unknown").join();
		assertThat(snapshot.sequence()).isZero();
		assertThat(snapshot.entries()).isEmpty();
	}

	@Test
	void snapshotKeepsItsContentWhenTheStoreChangesLater() {
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		PresenceSnapshot snapshot = this.store.snapshot(TOPIC).join();
		// when the store changes after the snapshot was taken
		this.store.put(TOPIC, entry("bob", "b1"), null).join();
		// then the snapshot is unchanged
		assertThat(snapshot.entries()).extracting(PresenceEntry::ref).containsExactly("a1");
		assertThat(snapshot.sequence()).isEqualTo(1);
	}

	@Test
	void changesMadeWithoutSubscriberAreCountedAndStored() {
		// given changes made before anyone subscribed
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		this.store.put(TOPIC, entry("bob", "b1"), null).join();
		// when a subscriber arrives and reads a snapshot
		this.store.subscribe(TOPIC, this.listener).join();
		PresenceSnapshot snapshot = this.store.snapshot(TOPIC).join();
		// then the snapshot reflects them and the next change continues the sequence
		assertThat(snapshot.sequence()).isEqualTo(2);
		assertThat(snapshot.entries()).extracting(PresenceEntry::ref).containsExactly("a1", "b1");
		this.store.remove(TOPIC, "a1").join();
		assertThat(this.listener.changes).extracting(PresenceChange::sequence).containsExactly(3L);
	}

	@Test
	void unsubscribedListenerReceivesNothingMore() {
		this.store.subscribe(TOPIC, this.listener).join();
		this.store.put(TOPIC, entry("alice", "a1"), null).join();
		// when the listener unsubscribes and the topic changes
		this.store.unsubscribe(TOPIC).join();
		this.store.put(TOPIC, entry("bob", "b1"), null).join();
		// then it saw only the first change
		assertThat(this.listener.changes).hasSize(1);
	}

	@Test
	void changeCarriesTheEntryWithItsKeyStateAndNode() {
		this.store.subscribe(TOPIC, this.listener).join();
		PresenceEntry entry = new PresenceEntry("user-1",
				new Presence("r1", null, Map.of("user", "user-1", "nested", Map.of("list", List.of(1, 2)))), NODE);
		this.store.put(TOPIC, entry, null).join();
		PresenceEntry joined = this.listener.changes.get(0).joins().get(0);
		assertThat(joined.key()).isEqualTo("user-1");
		assertThat(joined.node()).isEqualTo(NODE);
		assertThat(joined.presence().state()).isEqualTo(Map.of("user", "user-1", "nested", Map.of("list", List.of(1, 2))));
	}

	private static PresenceEntry entry(String key, String ref) {
		return new PresenceEntry(key, new Presence(ref, null, Map.of("key", key)), NODE);
	}

	private static final class RecordingListener implements PresenceChangeListener {

		final List<PresenceChange> changes = new CopyOnWriteArrayList<>();

		int lost;

		@Override
		public void onChange(PresenceChange change) {
			this.changes.add(change);
		}

		@Override
		public void onSubscriptionLost() {
			this.lost++;
		}

	}

}
