package dev.presence.websocket;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jspecify.annotations.Nullable;

import dev.presence.core.BroadcastPayload;

/**
 * The two binary frames of protocol version 2.0.0 (docs/protocol.md §8.2, §8.3), both for
 * broadcasts: the client's "user broadcast push" (kind 3) and the server's "user
 * broadcast" (kind 4). Every length in their headers is one unsigned byte, so topic,
 * event and metadata are at most 255 bytes of UTF-8 each.
 */
final class BinaryBroadcastFrames {

	static final int USER_BROADCAST_PUSH = 3;

	static final int USER_BROADCAST = 4;

	private static final int BINARY_ENCODING = 0;

	private static final int JSON_ENCODING = 1;

	private static final int PUSH_HEADER = 7;

	/** The most bytes of UTF-8 a topic, event or metadata may take: one unsigned byte of length. */
	static final int MAX_FIELD = 255;

	private BinaryBroadcastFrames() {
	}

	/**
	 * Read a client's user broadcast push.
	 * @param frame the whole binary message
	 * @param json checks a JSON payload and gives the bytes to keep
	 * @return the push
	 * @throws PhoenixProtocolException when the frame is not a well-formed push
	 */
	static UserBroadcastPush decodePush(byte[] frame, JsonPayloads json) {
		if (frame.length < PUSH_HEADER || (frame[0] & 0xFF) != USER_BROADCAST_PUSH) {
			throw new PhoenixProtocolException("malformed frame: the only binary frame this server reads is a "
					+ "user broadcast push (kind 3)", null, null);
		}
		int joinRefLength = frame[1] & 0xFF;
		int refLength = frame[2] & 0xFF;
		int topicLength = frame[3] & 0xFF;
		int eventLength = frame[4] & 0xFF;
		int metadataLength = frame[5] & 0xFF;
		int encoding = frame[6] & 0xFF;
		int payloadStart = PUSH_HEADER + joinRefLength + refLength + topicLength + eventLength + metadataLength;
		if (payloadStart > frame.length) {
			throw new PhoenixProtocolException("malformed frame: a user broadcast push shorter than its header says",
					null, null);
		}
		int at = PUSH_HEADER;
		String joinRef = text(frame, at, joinRefLength, null, null);
		at += joinRefLength;
		String ref = text(frame, at, refLength, null, null);
		at += refLength;
		String topic = text(frame, at, topicLength, ref, null);
		at += topicLength;
		String event = text(frame, at, eventLength, ref, topic);
		// the metadata (only "persist", for Supabase's stored broadcasts) asks for nothing this server does
		byte[] payload = Arrays.copyOfRange(frame, payloadStart, frame.length);
		BroadcastPayload decoded = switch (encoding) {
			case BINARY_ENCODING -> BroadcastPayload.ofBinary(payload);
			case JSON_ENCODING -> BroadcastPayload.ofJson(json.checked(payload, ref, topic));
			default -> throw new PhoenixProtocolException(
					"malformed frame: unknown payload encoding " + encoding + " of a user broadcast push", ref, topic);
		};
		return new UserBroadcastPush(joinRef.isEmpty() ? null : joinRef, ref.isEmpty() ? null : ref, topic, event,
				decoded);
	}

	/**
	 * Write a user broadcast for clients of version 2.0.0: the server's only binary
	 * frame, which supabase-js turns into a {@code broadcast} event.
	 * @param topic the topic on the wire
	 * @param event the event
	 * @param payload the payload
	 * @return the frame, or {@code null} when the topic or event is longer than the
	 * frame's one-byte lengths allow
	 */
	static byte @Nullable [] encodeBroadcast(String topic, String event, BroadcastPayload payload) {
		byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
		byte[] eventBytes = event.getBytes(StandardCharsets.UTF_8);
		if (topicBytes.length > MAX_FIELD || eventBytes.length > MAX_FIELD) {
			return null;
		}
		byte[] body = payload.bytes();
		ByteBuffer frame = ByteBuffer.allocate(5 + topicBytes.length + eventBytes.length + body.length);
		frame.put((byte) USER_BROADCAST)
			.put((byte) topicBytes.length)
			.put((byte) eventBytes.length)
			.put((byte) 0)
			.put((byte) (payload.isBinary() ? BINARY_ENCODING : JSON_ENCODING))
			.put(topicBytes)
			.put(eventBytes)
			.put(body);
		return frame.array();
	}

	private static String text(byte[] frame, int offset, int length, @Nullable String ref, @Nullable String topic) {
		try {
			return FrameFields.strictUtf8(frame, offset, length);
		}
		catch (CharacterCodingException ex) {
			throw new PhoenixProtocolException("malformed frame: a user broadcast push field is not UTF-8", ref,
					topic);
		}
	}

	/**
	 * Checks the JSON payload of a push.
	 */
	@FunctionalInterface
	interface JsonPayloads {

		/**
		 * @param utf8 the payload as it came
		 * @return the bytes to send on
		 * @throws PhoenixProtocolException when it is not one valid JSON value
		 */
		byte[] checked(byte[] utf8, @Nullable String ref, @Nullable String topic);

	}

	/**
	 * A client's broadcast, sent as a binary frame.
	 *
	 * @param joinRef the join ref of its channel, or {@code null}
	 * @param ref its ref, or {@code null}
	 * @param topic the topic
	 * @param event the event
	 * @param payload the payload
	 */
	record UserBroadcastPush(@Nullable String joinRef, @Nullable String ref, String topic, String event,
			BroadcastPayload payload) {
	}

}
