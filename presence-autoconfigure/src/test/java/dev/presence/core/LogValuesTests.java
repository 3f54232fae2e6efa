package dev.presence.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link LogValues}.
 */
class LogValuesTests {

	@Test
	void ordinaryTopicIsQuotedAsItIs() {
		assertThat(LogValues.quote("realtime:room_01")).isEqualTo("\"realtime:room_01\"");
		assertThat(LogValues.quote("realtime:café ☕ 房间 😀")).isEqualTo("\"realtime:café ☕ 房间 😀\"");
	}

	@Test
	void lineBreaksCannotStartAnotherLogLine() {
		String forged = "room\n12:00:00.000 INFO  [main] Admin - admin logged in\r\nroom";

		assertThat(LogValues.quote(forged))
			.isEqualTo("\"room\\n12:00:00.000 INFO  [main] Admin - admin logged in\\r\\nroom\"")
			.doesNotContain("\n")
			.doesNotContain("\r");
	}

	@Test
	void controlAndInvisibleCharactersAreEscaped() {
		assertThat(LogValues.quote("a\u0000b\u001bc\u007fd\u0085e\tf"))
			.isEqualTo("\"a\\u0000b\\u001bc\\u007fd\\u0085e\\tf\"");
		// line and paragraph separators, a right-to-left override and a zero-width space
		assertThat(LogValues.quote("a\u2028b\u2029c\u202ed\u200be"))
			.isEqualTo("\"a\\u2028b\\u2029c\\u202ed\\u200be\"");
		// an unpaired surrogate would turn into '?' or break the encoder
		assertThat(LogValues.quote("a\ud800b")).isEqualTo("\"a\\ud800b\"");
	}

	@Test
	void quotesAndBackslashesAreEscapedSoTheValueEndsWhereItSeemsTo() {
		assertThat(LogValues.quote("a\" forged=\"b\\")).isEqualTo("\"a\\\" forged=\\\"b\\\\\"");
	}

	@Test
	void longValueIsCutWithItsLength() {
		String huge = "x".repeat(500_000);

		String quoted = LogValues.quote(huge);

		assertThat(quoted).isEqualTo("\"" + "x".repeat(LogValues.MAX_LENGTH) + "\"...(500000 chars)");
	}

	@Test
	void cutDoesNotSplitACharacterOutsideTheBasicPlane() {
		String value = "x".repeat(LogValues.MAX_LENGTH - 1) + "😀" + "tail";

		assertThat(LogValues.quote(value))
			.isEqualTo("\"" + "x".repeat(LogValues.MAX_LENGTH - 1) + "\"...(" + value.length() + " chars)");
	}

	@Test
	void nullIsShownAsNull() {
		assertThat(LogValues.quote(null)).isEqualTo("null");
	}

}
