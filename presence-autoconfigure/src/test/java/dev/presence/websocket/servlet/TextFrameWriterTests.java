package dev.presence.websocket.servlet;

import org.apache.tomcat.websocket.WsSession;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte path to Tomcat is found in the Tomcat that Spring Boot manages, so an upgrade
 * that removes it fails here rather than quietly costing a UTF-8 encoding per session.
 * What travels through it is checked on the wire by the protocol, conformance and
 * compression tests.
 */
class TextFrameWriterTests {

	@Test
	void tomcatSessionsAreWrittenAsBytes() {
		assertThat(TextFrameWriter.writesBytes(WsSession.class)).isTrue();
	}

	@Test
	void otherSessionsAreWrittenAsStrings() {
		assertThat(TextFrameWriter.writesBytes(Object.class)).isFalse();
	}

}
