package dev.presence.store;

import java.util.UUID;

import org.springframework.util.Assert;


/**
 * This node's identity in the cluster: every presence it stores is written under it.
 *
 * @param id the node id, unique among the nodes sharing one store
 */
public record PresenceNode(String id) {

	public PresenceNode {
		Assert.hasText(id, "'id' must not be empty");
	}

	/**
	 * A node with a new random id.
	 * @return the node
	 */
	public static PresenceNode random() {
		return new PresenceNode(UUID.randomUUID().toString().substring(0, 13).replace("-", ""));
	}

}
