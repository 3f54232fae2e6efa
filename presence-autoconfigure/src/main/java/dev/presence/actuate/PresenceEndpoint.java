package dev.presence.actuate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.util.Assert;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceTopics;
import dev.presence.core.TopicReplica;

/**
 * The {@code presence} endpoint: the topics this node follows with their counts, and the
 * presences of any one topic.
 */
@Endpoint(id = "presence")
public class PresenceEndpoint {

	private final PresenceTopics topics;

	private final PresenceService service;

	/**
	 * Create the endpoint.
	 * @param topics the node's topics
	 * @param service the presence service topics are read through
	 */
	public PresenceEndpoint(PresenceTopics topics, PresenceService service) {
		Assert.notNull(topics, "'topics' must not be null");
		Assert.notNull(service, "'service' must not be null");
		this.topics = topics;
		this.service = service;
	}

	/**
	 * The topics this node follows, by name, with their key and presence counts.
	 * @return the node's topics
	 */
	@ReadOperation
	public NodeTopicsDescriptor topics() {
		List<TopicDescriptor> descriptors = new ArrayList<>();
		for (String topic : this.topics.topics().stream().sorted().toList()) {
			TopicReplica replica = this.topics.replica(topic);
			if (replica != null) {
				PresenceCount count = replica.count();
				descriptors.add(new TopicDescriptor(topic, count.keys(), count.presences()));
			}
		}
		return new NodeTopicsDescriptor(this.topics.nodeId(), descriptors);
	}

	/**
	 * The presences of one topic, followed by this node or not.
	 * @param topic the topic, as clients name it on the wire (e.g. {@code realtime:room_01})
	 * @return the topic's presences
	 */
	@ReadOperation
	public TopicPresencesDescriptor topic(@Selector String topic) {
		Map<String, List<Presence>> presences = this.service.list(topic);
		int count = presences.values().stream().mapToInt(List::size).sum();
		return new TopicPresencesDescriptor(topic, presences.size(), count, presences);
	}

	/**
	 * The topics of a node.
	 *
	 * @param nodeId the node's id
	 * @param topics the topics it follows, by name
	 */
	public record NodeTopicsDescriptor(String nodeId, List<TopicDescriptor> topics) implements OperationResponseBody {

		public NodeTopicsDescriptor {
			topics = List.copyOf(topics);
		}

	}

	/**
	 * One followed topic.
	 *
	 * @param topic the topic
	 * @param keys its number of keys (users)
	 * @param presences its number of presences (connections and server-side trackers)
	 */
	public record TopicDescriptor(String topic, int keys, int presences) {
	}

	/**
	 * The presences of one topic.
	 *
	 * @param topic the topic
	 * @param keys its number of keys
	 * @param presences its number of presences
	 * @param state key to presences, in join order
	 */
	public record TopicPresencesDescriptor(String topic, int keys, int presences,
			Map<String, List<Presence>> state) implements OperationResponseBody {
	}

}
