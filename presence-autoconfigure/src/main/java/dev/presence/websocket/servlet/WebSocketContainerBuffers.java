package dev.presence.websocket.servlet;

import jakarta.servlet.ServletContext;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.web.context.ServletContextAware;

/**
 * Sets the WebSocket container's default per-session message buffers, which the
 * container allocates for every connection whatever it receives. Presence handles partial
 * messages and assembles frames itself, so small buffers serve it; they also apply to
 * the application's other WebSocket endpoints. Does nothing where there is no container
 * (a mock servlet environment).
 */
public final class WebSocketContainerBuffers implements ServletContextAware, SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(WebSocketContainerBuffers.class);

	private static final String SERVER_CONTAINER = "jakarta.websocket.server.ServerContainer";

	private final int bufferSize;

	private ServletContext servletContext;

	/**
	 * Create the customizer.
	 * @param bufferSize the text and binary buffer size of each session, in bytes
	 */
	public WebSocketContainerBuffers(int bufferSize) {
		this.bufferSize = bufferSize;
	}

	@Override
	public void setServletContext(ServletContext servletContext) {
		this.servletContext = servletContext;
	}

	@Override
	public void afterSingletonsInstantiated() {
		Object container = (this.servletContext != null) ? this.servletContext.getAttribute(SERVER_CONTAINER) : null;
		if (container instanceof jakarta.websocket.WebSocketContainer webSocketContainer) {
			webSocketContainer.setDefaultMaxTextMessageBufferSize(this.bufferSize);
			webSocketContainer.setDefaultMaxBinaryMessageBufferSize(this.bufferSize);
		}
		else {
			logger.debug("No WebSocket container to size the buffers of");
		}
	}

}
