package dev.presence.websocket;

/**
 * The limits one connection is held to.
 *
 * @param maxFrameBytes maximum size of one frame from the client, in bytes
 * @param maxStateBytes maximum size of a tracked presence state, in bytes of JSON
 * @param maxChannels maximum number of channels joined on one connection
 * @param maxPendingFrames maximum number of received frames waiting to be handled
 */
public record ChannelLimits(int maxFrameBytes, int maxStateBytes, int maxChannels, int maxPendingFrames) {
}
