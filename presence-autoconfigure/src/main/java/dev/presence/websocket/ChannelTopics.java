package dev.presence.websocket;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.presence.core.PresenceDiff;
import dev.presence.core.PresenceMonitor;
import dev.presence.core.TopicListener;
import dev.presence.core.TopicReplica;

/**
 * The channels of this node joined to each followed topic. Each topic's diff is encoded
 * once per serializer and the same bytes are written to every member that has presence
 * enabled. Membership changes only on the topic's serial executor, between two diffs.
 */
final class ChannelTopics {

	private final PhoenixMessages messages;

	private final Map<TopicReplica, Members> members = new ConcurrentHashMap<>();

	private final PresenceMonitor monitor;

	ChannelTopics(PhoenixMessages messages, PresenceMonitor monitor) {
		this.messages = messages;
		this.monitor = monitor;
	}

	/**
	 * Add a channel to its topic. Call on the replica's executor.
	 */
	void attach(TopicReplica replica, PhoenixChannel channel) {
		this.members.computeIfAbsent(replica, (key) -> {
			Members created = new Members(replica.topic());
			replica.addListener(created);
			return created;
		}).channels.add(channel);
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

		private final String topic;

		// changed only on the replica's executor
		final Set<PhoenixChannel> channels = ConcurrentHashMap.newKeySet();

		Members(String topic) {
			this.topic = topic;
		}

		@Override
		public void onDiff(PresenceDiff diff) {
			OutboundFrame frame = new OutboundFrame(ChannelTopics.this.messages.diff(this.topic, diff));
			int sent = 0;
			for (PhoenixChannel channel : this.channels) {
				if (channel.presenceEnabled()) {
					channel.connection().send(frame);
					sent++;
				}
			}
			ChannelTopics.this.monitor.diffSent(this.topic, sent);
		}

	}

}
