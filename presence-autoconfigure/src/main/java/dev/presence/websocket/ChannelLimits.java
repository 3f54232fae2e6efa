package dev.presence.websocket;

import java.time.Duration;

/**
 * The limits one connection is held to.
 *
 * @param maxFrameBytes maximum size of one frame from the client, in bytes of UTF-8
 * @param maxStateBytes maximum size of a tracked presence state, in bytes of JSON
 * @param maxChannels maximum number of channels joined on one connection
 * @param maxTopicLength maximum length of a channel name (the topic without its
 * {@code realtime:} prefix), in characters
 * @param maxPendingFrames maximum number of received frames waiting to be handled
 * @param maxJoinsPerSecond maximum number of joins one connection may send per second
 * @param maxPresencesPerTopic maximum number of presences in one topic
 * @param trackCoalesceWindow time within which a channel's re-tracks are merged
 * @param maxPresenceMessages maximum number of presence messages of one channel within
 * the presence message window
 * @param presenceMessageWindow the window of that count
 * @param maxConnectionStateBytes maximum total size of the presence states one
 * connection tracks over all its channels, in bytes of JSON
 * @param maxBroadcastsPerSecond maximum number of broadcasts one connection may send per
 * second, over all its channels
 * @param maxBroadcastPayloadBytes maximum size of one broadcast's payload, in bytes
 */
public record ChannelLimits(int maxFrameBytes, int maxStateBytes, int maxChannels, int maxTopicLength,
		int maxPendingFrames, int maxJoinsPerSecond, int maxPresencesPerTopic, Duration trackCoalesceWindow,
		int maxPresenceMessages, Duration presenceMessageWindow, int maxConnectionStateBytes,
		int maxBroadcastsPerSecond, int maxBroadcastPayloadBytes) {
}
