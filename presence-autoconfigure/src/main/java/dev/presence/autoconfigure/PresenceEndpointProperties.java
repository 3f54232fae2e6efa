package dev.presence.autoconfigure;

import java.util.HashSet;
import java.util.Set;

import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties of the {@code presence} actuator endpoint.
 */
@ConfigurationProperties("management.endpoint.presence")
public class PresenceEndpointProperties {

	/**
	 * When to show the tracked states of presences, the topics of private channels, and
	 * topics this node does not follow. Callers not shown them get the key and presence
	 * counts of the public topics this node follows, and nothing else.
	 */
	private Show showStates = Show.NEVER;

	/**
	 * Roles used to determine whether a user is authorized to be shown states. When
	 * empty, all authenticated users are authorized.
	 */
	private final Set<String> roles = new HashSet<>();

	public Show getShowStates() {
		return this.showStates;
	}

	public void setShowStates(Show showStates) {
		this.showStates = showStates;
	}

	public Set<String> getRoles() {
		return this.roles;
	}

}
