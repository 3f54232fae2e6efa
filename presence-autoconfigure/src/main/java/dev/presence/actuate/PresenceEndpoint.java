package dev.presence.actuate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.util.Assert;

import dev.presence.core.Presence;
import dev.presence.core.PresenceCount;
import dev.presence.core.PresenceService;
import dev.presence.engine.PresenceTopics;

/**
 * The {@code presence} endpoint: the topics this node follows with their counts, and one
 * topic's counts or presences. Topics are named as clients name them on the wire.
 * <p>
 * What a caller sees depends on {@code showStates}, as Boot's {@code env} endpoint shows
 * values: a caller not shown states gets the key and presence counts of the public topics
 * this node follows, and nothing else — no tracked state, no private topic (not even its
 * name), and no topic read from the store on its behalf. A caller shown states also gets
 * private topics, flagged {@code privateChannel}, and the presences of any topic, read
 * from the store when this node does not follow it.
 */
@Endpoint(id = "presence")
public class PresenceEndpoint {

	/**
	 * The prefix that sets a private channel's topic apart in the store from the public
	 * channel of the same name (PhoenixChannel's store topic).
	 */
	private static final String PRIVATE_PREFIX = "private:";

	private static final Comparator<TopicDescriptor> BY_TOPIC = Comparator.comparing(TopicDescriptor::topic)
		.thenComparing(TopicDescriptor::privateChannel);

	private final PresenceTopics topics;

	private final PresenceService service;

	private final Show showStates;

	private final Set<String> roles;

	/**
	 * Create the endpoint.
	 * @param topics the node's topics
	 * @param service the presence service topics are read through
	 * @param showStates when to show tracked states and private topics
	 * @param roles the roles a caller needs to be shown them when {@code showStates} is
	 * {@link Show#WHEN_AUTHORIZED}; empty for any authenticated caller
	 */
	public PresenceEndpoint(PresenceTopics topics, PresenceService service, Show showStates, Set<String> roles) {
		Assert.notNull(topics, "'topics' must not be null");
		Assert.notNull(service, "'service' must not be null");
		Assert.notNull(showStates, "'showStates' must not be null");
		Assert.notNull(roles, "'roles' must not be null");
		this.topics = topics;
		this.service = service;
		this.showStates = showStates;
		this.roles = Set.copyOf(roles);
	}

	/**
	 * The topics this node follows, by name, with their key and presence counts: the
	 * public ones, and the private ones too for a caller shown states.
	 * @param securityContext the caller
	 * @return the node's topics
	 */
	@ReadOperation
	public NodeTopicsDescriptor topics(SecurityContext securityContext) {
		boolean showPrivate = this.showStates.isShown(securityContext, this.roles);
		List<TopicDescriptor> descriptors = new ArrayList<>();
		for (String storeTopic : this.topics.topics()) {
			boolean privateChannel = storeTopic.startsWith(PRIVATE_PREFIX);
			PresenceCount count = this.topics.followedCount(storeTopic);
			if (count != null && (showPrivate || !privateChannel)) {
				String topic = privateChannel ? storeTopic.substring(PRIVATE_PREFIX.length()) : storeTopic;
				descriptors.add(new TopicDescriptor(topic, privateChannel, count.keys(), count.presences()));
			}
		}
		descriptors.sort(BY_TOPIC);
		return new NodeTopicsDescriptor(this.topics.nodeId(), descriptors);
	}

	/**
	 * One topic. A caller shown states gets the presences of any topic; another caller
	 * gets only the counts of a public topic this node follows, and {@code null} (a 404
	 * over HTTP) for any other topic, so that it can neither learn about private topics
	 * nor make the node read the store.
	 * @param securityContext the caller
	 * @param topic the topic, as clients name it on the wire (e.g. {@code realtime:room_01})
	 * @param privateChannel whether the topic is that of a private channel; {@code null}
	 * for a public one
	 * @return the topic's counts, with its presences when the caller is shown states, or
	 * {@code null} when the caller may not see the topic
	 */
	@ReadOperation
	public @Nullable TopicPresencesDescriptor topic(SecurityContext securityContext, @Selector String topic,
			@Nullable Boolean privateChannel) {
		if (topic.startsWith(PRIVATE_PREFIX)) {
			// a store-internal name, not a topic clients know
			return null;
		}
		boolean isPrivate = Boolean.TRUE.equals(privateChannel);
		if (this.showStates.isShown(securityContext, this.roles)) {
			Map<String, List<Presence>> presences = this.service.list(isPrivate ? PRIVATE_PREFIX + topic : topic);
			int count = presences.values().stream().mapToInt(List::size).sum();
			return new TopicPresencesDescriptor(topic, isPrivate, presences.size(), count, presences);
		}
		PresenceCount count = isPrivate ? null : this.topics.followedCount(topic);
		if (count == null) {
			return null;
		}
		return new TopicPresencesDescriptor(topic, false, count.keys(), count.presences(), null);
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
	 * @param topic the topic, as clients name it
	 * @param privateChannel whether it is the topic of a private channel
	 * @param keys its number of keys (users)
	 * @param presences its number of presences (connections and server-side trackers)
	 */
	public record TopicDescriptor(String topic, boolean privateChannel, int keys, int presences) {
	}

	/**
	 * One topic: its counts, and its presences when the caller is shown states.
	 *
	 * @param topic the topic, as clients name it
	 * @param privateChannel whether it is the topic of a private channel
	 * @param keys its number of keys
	 * @param presences its number of presences
	 * @param state key to presences, in join order; {@code null} (left out) when the
	 * caller is not shown states
	 */
	public record TopicPresencesDescriptor(String topic, boolean privateChannel, int keys, int presences,
			@JsonInclude(JsonInclude.Include.NON_NULL) @Nullable Map<String, List<Presence>> state)
			implements OperationResponseBody {
	}

}
