package dev.presence.test;

import java.util.List;
import java.util.Locale;

import org.springframework.core.env.Environment;

/**
 * The transport the WebSocket tests run against, chosen for the whole test run by the
 * {@code presence.test.transport} system property: {@code servlet} (the default, presence
 * on the application's own container) or {@code netty} (presence's own Reactor Netty
 * server). The build runs the transport suites once per transport; every Spring Boot test
 * context gets {@link #properties()} (see {@link TestTransportContextCustomizerFactory}),
 * and tests find the endpoint's port with {@link PresencePort}.
 */
public enum TestTransport {

	/** Presence on the application's servlet container. */
	SERVLET,

	/** Presence on its own Reactor Netty server, on a free port. */
	NETTY;

	/** The system property that chooses the transport. */
	public static final String PROPERTY = "presence.test.transport";

	/**
	 * The transport of this test run.
	 * @return the transport
	 */
	public static TestTransport current() {
		return valueOf(System.getProperty(PROPERTY, "servlet").toUpperCase(Locale.ROOT));
	}

	/**
	 * The properties that put presence on this transport, {@code name=value}.
	 * @return the properties
	 */
	public List<String> properties() {
		return (this == NETTY) ? List.of("presence.server.port=0") : List.of();
	}

	/**
	 * The same properties as command-line arguments, {@code --name=value}, for
	 * applications a test starts itself.
	 * @return the arguments
	 */
	public List<String> arguments() {
		return properties().stream().map((property) -> "--" + property).toList();
	}

	/**
	 * The port the presence endpoint of a started application listens on.
	 * @param environment the application's environment
	 * @return the Reactor Netty server's port when it runs, else the web server's
	 */
	public static int port(Environment environment) {
		Integer port = environment.getProperty("local.presence.server.port", Integer.class);
		if (port == null) {
			port = environment.getProperty("local.server.port", Integer.class);
		}
		if (port == null) {
			throw new IllegalStateException("The application serves no presence endpoint");
		}
		return port;
	}

}
