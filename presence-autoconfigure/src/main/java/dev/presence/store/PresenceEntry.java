package dev.presence.store;

import org.springframework.util.Assert;

import dev.presence.core.Presence;


/**
 * A presence as the store holds it: under which key, and which node owns it.
 *
 * @param key the presence key (a user id, or a server-generated UUID)
 * @param presence the presence itself
 * @param node the id of the node that owns the presence and removes it when its
 * connection ends
 */
public record PresenceEntry(String key, Presence presence, String node) {

	public PresenceEntry {
		Assert.notNull(key, "'key' must not be null");
		Assert.notNull(presence, "'presence' must not be null");
		Assert.hasText(node, "'node' must not be empty");
	}

	/**
	 * Shortcut for {@code presence().ref()}.
	 * @return the ref of the presence
	 */
	public String ref() {
		return this.presence.ref();
	}

}
