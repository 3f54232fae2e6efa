package dev.presence.engine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PresenceRefs}: {@code phx_ref}s and the version 1 UUIDs of default
 * presence keys (docs/protocol.md §3.3).
 */
class PresenceRefsTests {

	private static final Pattern UUID_V1 = Pattern
		.compile("^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

	private static final Pattern PHX_REF = Pattern.compile("^[A-Za-z0-9_-]{16}$");

	/** 100-ns intervals between 1582-10-15 and 1970-01-01. */
	private static final long GREGORIAN_OFFSET = 0x01B21DD213814000L;

	private static final int COUNT = 100_000;

	private static final int THREADS = 4;

	private final PresenceRefs refs = new PresenceRefs();

	@Test
	void uuidIsAVersionOneUuidInLowerCaseHyphenatedForm() {
		// when a UUID is made
		String uuid = this.refs.newUuidV1();
		// then it has the form the client expects and Java reads it as version 1, RFC variant
		assertThat(uuid).matches(UUID_V1);
		assertThat(UUID.fromString(uuid).version()).isEqualTo(1);
		assertThat(UUID.fromString(uuid).variant()).isEqualTo(2);
	}

	@Test
	void uuidTimestampIsTheCurrentTime() {
		// given the time before and after
		long before = System.currentTimeMillis();
		// when a UUID is made
		UUID uuid = UUID.fromString(this.refs.newUuidV1());
		long after = System.currentTimeMillis();
		// then its 60-bit timestamp reads back as that time
		long millis = (uuid.timestamp() - GREGORIAN_OFFSET) / 10_000;
		assertThat(millis).isBetween(before, after + 1000);
	}

	@Test
	void uuidTimestampsStrictlyIncrease() {
		// when many UUIDs are made in a row
		long[] timestamps = new long[COUNT];
		for (int i = 0; i < COUNT; i++) {
			timestamps[i] = UUID.fromString(this.refs.newUuidV1()).timestamp();
		}
		// then each timestamp is later than the one before
		assertThat(firstNotIncreasing(timestamps)).as("index of the first timestamp not after its predecessor")
			.isEqualTo(-1);
	}

	@Test
	void uuidsOfOneGeneratorShareNodeAndClockSequence() {
		// when two UUIDs are made
		UUID first = UUID.fromString(this.refs.newUuidV1());
		UUID second = UUID.fromString(this.refs.newUuidV1());
		// then only their time differs
		assertThat(second.node()).isEqualTo(first.node());
		assertThat(second.clockSequence()).isEqualTo(first.clockSequence());
	}

	@Test
	void uuidNodeHasTheMulticastBitSoItIsNeverAMacAddress() {
		UUID uuid = UUID.fromString(this.refs.newUuidV1());
		assertThat(uuid.node() & 0x0100_0000_0000L).isNotZero();
	}

	@Test
	void hundredThousandUuidsAreUnique() {
		Set<String> uuids = generate(this.refs::newUuidV1, 1);
		assertThat(uuids).hasSize(COUNT);
		assertThat(uuids.stream().filter((uuid) -> !UUID_V1.matcher(uuid).matches()).findFirst()).isEmpty();
	}

	@Test
	void hundredThousandUuidsFromSeveralThreadsAreUnique() {
		assertThat(generate(this.refs::newUuidV1, THREADS)).hasSize(COUNT);
	}

	@Test
	void refIsSixteenUrlSafeCharacters() {
		// when a ref is made
		String ref = this.refs.newRef();
		// then it is 16 characters of the URL-safe Base64 alphabet
		assertThat(ref).matches(PHX_REF);
	}

	@Test
	void refTimestampsStrictlyIncrease() {
		// when many refs are made in a row
		long[] clocks = new long[COUNT];
		for (int i = 0; i < COUNT; i++) {
			clocks[i] = ByteBuffer.wrap(Base64.getUrlDecoder().decode(this.refs.newRef())).getLong();
		}
		// then the clock they hold grows with each
		assertThat(firstNotIncreasing(clocks)).as("index of the first clock not after its predecessor").isEqualTo(-1);
	}

	@Test
	void hundredThousandRefsAreUnique() {
		Set<String> refs = generate(this.refs::newRef, 1);
		assertThat(refs).hasSize(COUNT);
		assertThat(refs.stream().filter((ref) -> !PHX_REF.matcher(ref).matches()).findFirst()).isEmpty();
	}

	@Test
	void hundredThousandRefsFromSeveralThreadsAreUnique() {
		assertThat(generate(this.refs::newRef, THREADS)).hasSize(COUNT);
	}

	@Test
	void refsOfTwoGeneratorsMadeAtTheSameTimeDiffer() {
		// given two nodes
		PresenceRefs other = new PresenceRefs();
		// when both make refs
		Set<String> refs = ConcurrentHashMap.newKeySet();
		for (int i = 0; i < 1000; i++) {
			refs.add(this.refs.newRef());
			refs.add(other.newRef());
		}
		// then none collide
		assertThat(refs).hasSize(2000);
	}

	private static int firstNotIncreasing(long[] values) {
		for (int i = 1; i < values.length; i++) {
			if (values[i] <= values[i - 1]) {
				return i;
			}
		}
		return -1;
	}

	/**
	 * Make {@link #COUNT} identifiers on the given number of threads, released together.
	 */
	private static Set<String> generate(Supplier<String> generator, int threads) {
		Set<String> generated = ConcurrentHashMap.newKeySet();
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					start.await();
					for (int i = 0; i < COUNT / threads; i++) {
						generated.add(generator.get());
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> future : futures) {
				future.get(30, TimeUnit.SECONDS);
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
		finally {
			executor.shutdownNow();
		}
		return generated;
	}

}
