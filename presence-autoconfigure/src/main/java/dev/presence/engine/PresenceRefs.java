package dev.presence.engine;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;


/**
 * Makes the identifiers presence needs: {@code phx_ref}s that are unique across nodes and
 * restarts, and the version 1 UUIDs that serve as presence keys when a client gives none.
 * Thread-safe.
 */
final class PresenceRefs {

	/** 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch. */
	private static final long GREGORIAN_OFFSET = 0x01B21DD213814000L;

	private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

	private final AtomicLong lastRefTime = new AtomicLong();

	private final AtomicLong lastUuidTime = new AtomicLong();

	private final int refSalt;

	private final long uuidNode;

	private final int clockSequence;

	public PresenceRefs() {
		SecureRandom random = new SecureRandom();
		this.refSalt = random.nextInt();
		// a random node id has the multicast bit set so it never collides with a MAC (RFC 9562 §6.10)
		this.uuidNode = (random.nextLong() & 0xFFFF_FFFF_FFFFL) | 0x0100_0000_0000L;
		this.clockSequence = random.nextInt(1 << 14);
	}

	/**
	 * A new {@code phx_ref}: 16 URL-safe characters from 12 bytes (a strictly increasing
	 * microsecond clock and a random per-process salt).
	 * @return the ref
	 */
	public String newRef() {
		long micros = next(this.lastRefTime, System.currentTimeMillis() * 1000);
		ByteBuffer bytes = ByteBuffer.allocate(12).putLong(micros).putInt(this.refSalt);
		return BASE64.encodeToString(bytes.array());
	}

	/**
	 * A new version 1 (time-based) UUID, lower case and hyphenated.
	 * @return the UUID
	 */
	public String newUuidV1() {
		long ticks = next(this.lastUuidTime, System.currentTimeMillis() * 10_000 + GREGORIAN_OFFSET);
		long timeLow = ticks & 0xFFFF_FFFFL;
		long timeMid = (ticks >>> 32) & 0xFFFFL;
		long timeHigh = (ticks >>> 48) & 0x0FFFL;
		long mostSignificant = (timeLow << 32) | (timeMid << 16) | 0x1000L | timeHigh;
		long leastSignificant = (0x8000L | this.clockSequence) << 48 | this.uuidNode;
		return new UUID(mostSignificant, leastSignificant).toString();
	}

	private static long next(AtomicLong last, long now) {
		return last.updateAndGet((previous) -> Math.max(previous + 1, now));
	}

}
