package dev.presence.core;

import org.jspecify.annotations.Nullable;

/**
 * Makes values that clients choose — topic names, presence keys, frames — safe to put in a
 * log line: a quoted, escaped, bounded rendering that always stays on one line.
 * <p>
 * Without it a topic named {@code "room\n12:00:00 INFO ... admin logged in"} forges a log
 * line, a NUL byte makes the log file binary for {@code grep}, and a 500 KB name makes a
 * 500 KB line.
 */
public final class LogValues {

	/** How many characters of a value are shown before it is cut. */
	public static final int MAX_LENGTH = 200;

	private LogValues() {
	}

	/**
	 * Render a value for a log line: in double quotes, with {@code "} and {@code \} escaped,
	 * line breaks and tabs as {@code \n}, {@code \r} and {@code \t}, and other control,
	 * format (bidirectional overrides, zero-width characters), line or paragraph separator
	 * and unpaired surrogate characters as {@code \}{@code uXXXX}. A value longer than
	 * {@value #MAX_LENGTH} characters is cut there, marked with its full length:
	 * {@code "abc..."...(500000 chars)}.
	 * @param value the value, typically chosen by a client
	 * @return the rendering, or {@code null} (unquoted) for a null value
	 */
	public static String quote(@Nullable Object value) {
		if (value == null) {
			return "null";
		}
		String text = value.toString();
		int end = Math.min(text.length(), MAX_LENGTH);
		if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))
				&& Character.isLowSurrogate(text.charAt(end))) {
			// do not split a pair: keep the whole character or none of it
			end--;
		}
		StringBuilder quoted = new StringBuilder(end + 2).append('"');
		for (int i = 0; i < end; i++) {
			char c = text.charAt(i);
			switch (c) {
				case '"' -> quoted.append("\\\"");
				case '\\' -> quoted.append("\\\\");
				case '\n' -> quoted.append("\\n");
				case '\r' -> quoted.append("\\r");
				case '\t' -> quoted.append("\\t");
				default -> {
					if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
						if (isPrintable(text.codePointAt(i))) {
							quoted.append(c).append(text.charAt(i + 1));
						}
						else {
							unicodeEscape(quoted, c);
							unicodeEscape(quoted, text.charAt(i + 1));
						}
						i++;
					}
					else if (Character.isSurrogate(c) || !isPrintable(c)) {
						unicodeEscape(quoted, c);
					}
					else {
						quoted.append(c);
					}
				}
			}
		}
		quoted.append('"');
		if (end < text.length()) {
			quoted.append("...(").append(text.length()).append(" chars)");
		}
		return quoted.toString();
	}

	private static boolean isPrintable(int codePoint) {
		return switch (Character.getType(codePoint)) {
			case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
					Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE ->
				false;
			default -> true;
		};
	}

	private static void unicodeEscape(StringBuilder quoted, char c) {
		quoted.append(String.format("\\u%04x", (int) c));
	}

}
