package dev.presence.core;

/**
 * How many are present in a topic.
 *
 * @param keys the number of distinct keys (users)
 * @param presences the number of presences (connections and server-side trackers)
 */
public record PresenceCount(int keys, int presences) {
}
