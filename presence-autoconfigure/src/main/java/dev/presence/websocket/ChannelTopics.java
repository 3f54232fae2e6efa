package dev.presence.websocket;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import dev.presence.core.BroadcastPayload;
import dev.presence.core.Presence;
import dev.presence.engine.PresenceDiff;
import dev.presence.engine.TopicListener;
import dev.presence.engine.TopicReplica;
import dev.presence.store.TopicBroadcast;
import tools.jackson.databind.JsonNode;

/**
 * The channels of this node joined to each followed topic, and the fan-out of the topic's
 * diffs and broadcasts to them.
 * <p>
 * A change to a quiet topic (nothing sent in the last batch window) is sent at once; while
 * a topic is busy, its changes are merged into one {@code presence_diff} sent at the end
 * of the window (the client applies its joins before its leaves, so the merged diff ends
 * in the same state as the diffs one by one), which turns the N² frames of a mass join
 * into N per window without delaying a lone change. The window a topic waits scales with
 * its members on this node, up to {@value #FULL_WINDOW_MEMBERS}: merging saves a frame per
 * member, so a topic with a handful of members has little to save and its changes go out
 * at once, or nearly. Each diff is encoded once per serializer and the same bytes are
 * written to every member with presence enabled. Membership changes and flushes run on
 * the topic's serial executor, between two diffs; a pending batch is flushed before a member joins or turns
 * presence on, so the state it is sent and the diffs after it never overlap.
 */
final class ChannelTopics {

	/** Members of a topic on this node from which on its changes wait the whole window. */
	static final int FULL_WINDOW_MEMBERS = 100;

	private final PhoenixMessages messages;

	private final ConnectionMonitor monitor;

	private final ScheduledExecutorService scheduler;

	private final long batchWindowNanos;

	private final Map<TopicReplica, Members> members = new ConcurrentHashMap<>();

	ChannelTopics(PhoenixMessages messages, ConnectionMonitor monitor, ScheduledExecutorService scheduler,
			Duration batchWindow) {
		this.messages = messages;
		this.monitor = monitor;
		this.scheduler = scheduler;
		this.batchWindowNanos = batchWindow.toNanos();
	}

	/**
	 * Add a channel to its topic. Call on the replica's executor.
	 */
	void attach(TopicReplica replica, PhoenixChannel channel) {
		Members topicMembers = this.members.computeIfAbsent(replica, (key) -> {
			Members created = new Members(replica);
			replica.addListener(created);
			return created;
		});
		topicMembers.flush();
		topicMembers.channels.add(channel);
	}

	/**
	 * Send what the topic's batch holds now, before a member is sent a state. Call on the
	 * replica's executor.
	 */
	void flush(TopicReplica replica) {
		Members topicMembers = this.members.get(replica);
		if (topicMembers != null) {
			topicMembers.flush();
		}
	}

	/**
	 * The {@code presence_state} frame of a topic for one channel, its metas spliced from
	 * the states' JSON. Call on the replica's executor.
	 */
	PhoenixFrame state(TopicReplica replica, PhoenixChannel channel) {
		Members topicMembers = this.members.get(replica);
		Map<String, List<Presence>> presences = replica.presences();
		JsonNode payload = (topicMembers != null) ? topicMembers.statePayload(presences)
				: this.messages.statePayload(presences);
		return this.messages.state(channel.joinRef(), channel.topic(), payload);
	}

	/**
	 * Remove a channel from its topic. Call on the replica's executor.
	 */
	void detach(TopicReplica replica, PhoenixChannel channel) {
		Members topicMembers = this.members.get(replica);
		if (topicMembers != null && topicMembers.channels.remove(channel) && topicMembers.channels.isEmpty()) {
			this.members.remove(replica);
			replica.removeListener(topicMembers);
		}
	}

	/**
	 * Count the channels joined on this node.
	 */
	int channelCount() {
		return this.members.values().stream().mapToInt((topicMembers) -> topicMembers.channels.size()).sum();
	}

	private final class Members implements TopicListener {

		private final TopicReplica replica;

		// changed only on the replica's executor
		final Set<PhoenixChannel> channels = ConcurrentHashMap.newKeySet();

		// the batch, touched only on the replica's executor: ref -> (key, presence)
		private final Map<String, Keyed> joins = new LinkedHashMap<>();

		private final Map<String, Keyed> leaves = new LinkedHashMap<>();

		private boolean flushScheduled;

		// when this topic last sent a diff, on the System.nanoTime() clock
		private long lastSentNanos = System.nanoTime() - ChannelTopics.this.batchWindowNanos;

		// the presence_state payload encoded for the joiners since the last change, and
		// the replica's view it was encoded from; touched only on the replica's executor
		private @Nullable JsonNode encodedState;

		private @Nullable Map<String, List<Presence>> encodedFrom;

		Members(TopicReplica replica) {
			this.replica = replica;
		}

		/**
		 * The topic's {@code presence_state} payload, encoded once for every joiner until
		 * the next change. The replica makes a new view after each change, so a view that
		 * is not the one encoded is a change this cache has not heard of.
		 */
		JsonNode statePayload(Map<String, List<Presence>> presences) {
			JsonNode encoded = this.encodedState;
			if (encoded == null || this.encodedFrom != presences) {
				encoded = ChannelTopics.this.messages.statePayload(presences);
				this.encodedState = encoded;
				this.encodedFrom = presences;
			}
			return encoded;
		}

		@Override
		public void onDiff(PresenceDiff diff) {
			// stale: let it go rather than hold a copy of the state until the next joiner
			this.encodedState = null;
			this.encodedFrom = null;
			long window = ChannelTopics.this.batchWindowNanos * Math.min(this.channels.size(), FULL_WINDOW_MEMBERS)
					/ FULL_WINDOW_MEMBERS;
			long now = System.nanoTime();
			if (!this.flushScheduled && now - this.lastSentNanos >= window) {
				// a quiet topic: nothing to merge with, so no reason to wait
				send(diff);
				return;
			}
			diff.joins().forEach((key, presences) -> presences
				.forEach((presence) -> this.joins.put(presence.ref(), new Keyed(key, presence))));
			// a presence that joined and left inside the window stays on both sides: the
			// client then shows its join and its leave, as it would without batching
			diff.leaves().forEach((key, presences) -> presences
				.forEach((presence) -> this.leaves.put(presence.ref(), new Keyed(key, presence))));
			if (!this.flushScheduled) {
				this.flushScheduled = true;
				ChannelTopics.this.scheduler.schedule(() -> this.replica.execute(this::flush),
						this.lastSentNanos + window - now, TimeUnit.NANOSECONDS);
			}
		}

		void flush() {
			this.flushScheduled = false;
			if (this.joins.isEmpty() && this.leaves.isEmpty()) {
				return;
			}
			PresenceDiff merged = new PresenceDiff(byKey(this.joins), byKey(this.leaves));
			this.joins.clear();
			this.leaves.clear();
			send(merged);
		}

		/**
		 * Send a broadcast to the members allowed to receive it, leaving out its sender:
		 * encoded once per serializer (a binary payload once, for the members of version
		 * 2.0.0 only, which alone can read it).
		 */
		@Override
		public void onBroadcast(TopicBroadcast broadcast) {
			if (this.channels.isEmpty()) {
				return;
			}
			String topic = PhoenixChannel.wireTopic(this.replica.topic());
			BroadcastPayload payload = broadcast.payload();
			OutboundFrame frame;
			if (payload.isBinary()) {
				byte[] binary = BinaryBroadcastFrames.encodeBroadcast(topic, broadcast.event(), payload);
				if (binary == null) {
					// a topic or event longer than a binary frame can name: only server code
					// could have sent it, and no client could read it
					return;
				}
				frame = OutboundFrame.binaryForV2(binary);
			}
			else {
				frame = new OutboundFrame(ChannelTopics.this.messages.broadcast(topic, broadcast.event(), payload));
			}
			String sender = broadcast.sender();
			int sent = 0;
			for (PhoenixChannel channel : this.channels) {
				if (channel.broadcastReceiveAllowed() && (sender == null || !sender.equals(channel.senderId()))
						&& channel.connection().send(frame)) {
					sent++;
				}
			}
			ChannelTopics.this.monitor.broadcastSent(this.replica.topic(), sent);
		}

		private void send(PresenceDiff diff) {
			OutboundFrame frame = new OutboundFrame(
					ChannelTopics.this.messages.diff(PhoenixChannel.wireTopic(this.replica.topic()), diff));
			int sent = 0;
			for (PhoenixChannel channel : this.channels) {
				if (channel.presenceEnabled()) {
					channel.connection().send(frame);
					sent++;
				}
			}
			ChannelTopics.this.monitor.diffSent(this.replica.topic(), sent);
			this.lastSentNanos = System.nanoTime();
		}

		private static Map<String, List<Presence>> byKey(Map<String, Keyed> byRef) {
			Map<String, List<Presence>> grouped = new LinkedHashMap<>();
			byRef.values()
				.forEach((keyed) -> grouped.computeIfAbsent(keyed.key(), (key) -> new ArrayList<>())
					.add(keyed.presence()));
			return grouped;
		}

	}

	private record Keyed(String key, Presence presence) {
	}

}
