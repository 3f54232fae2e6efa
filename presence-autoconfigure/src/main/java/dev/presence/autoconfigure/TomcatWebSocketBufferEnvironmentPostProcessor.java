package dev.presence.autoconfigure;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;

/**
 * Sizes the two output buffers (frame and UTF-8 encoder) that Tomcat's WebSocket
 * implementation allocates for every session, 8 KB each by default, to
 * {@code presence.limits.container-buffer-size} when that is set: with the input buffers
 * the container is given the same size, they were most of what an idle connection held
 * (measured: 55 KiB of heap per idle connection with them, 33 KiB at 1 KB). Presence
 * writes whole frames from its own bytes, so the output buffer only gathers small frames
 * and a larger frame is not split by it.
 * <p>
 * Tomcat reads this size once, from the system property
 * {@code org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE}, when its WebSocket classes
 * load; so it is set here, before the web server starts, and only where Tomcat's
 * WebSocket support is present and the system property is not set already. Like the
 * input buffers, it applies to every WebSocket endpoint of the application.
 */
final class TomcatWebSocketBufferEnvironmentPostProcessor implements EnvironmentPostProcessor {

	static final String TOMCAT_BUFFER_SIZE = "org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE";

	private static final String TOMCAT_WEBSOCKET = "org.apache.tomcat.websocket.WsSession";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		String size = environment.getProperty("presence.limits.container-buffer-size");
		if (size == null || size.isBlank() || !environment.getProperty("presence.enabled", Boolean.class, true)
				|| System.getProperty(TOMCAT_BUFFER_SIZE) != null
				|| !ClassUtils.isPresent(TOMCAT_WEBSOCKET, application.getClassLoader())) {
			return;
		}
		long bytes = DataSize.parse(size.trim()).toBytes();
		if (bytes > 0 && bytes <= Integer.MAX_VALUE) {
			System.setProperty(TOMCAT_BUFFER_SIZE, Long.toString(bytes));
		}
	}

}
