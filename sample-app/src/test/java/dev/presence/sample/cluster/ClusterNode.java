package dev.presence.sample.cluster;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.presence.core.PresenceService;
import dev.presence.sample.SampleApplication;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.TestTransport;

/**
 * One presence node: the sample application in this JVM, on a random port, with its
 * events recorded. {@link PresenceCluster} starts and stops them.
 */
final class ClusterNode implements AutoCloseable {

	/** Fast timings for tests that do not measure the defaults. */
	static final List<String> FAST = List.of("presence.redis.heartbeat-interval=500ms", "presence.node-timeout=3s");

	private final String id;

	private final ConfigurableApplicationContext context;

	private final EventRecorder events;

	private ClusterNode(String id, ConfigurableApplicationContext context, EventRecorder events) {
		this.id = id;
		this.context = context;
		this.events = events;
	}

	/**
	 * Start a node with the given Redis properties and more.
	 * @param id the node id
	 * @param properties every property but the port and the node id, those of Redis
	 * included, {@code name=value}
	 * @return the started node
	 */
	static ClusterNode start(String id, List<String> properties) {
		EventRecorder events = new EventRecorder(id);
		List<String> all = new ArrayList<>();
		all.add("server.port=0");
		all.add("presence.node-id=" + id);
		all.add("spring.main.banner-mode=off");
		all.addAll(TestTransport.current().properties());
		all.addAll(properties);
		// as command-line arguments: default properties would lose to the sample's application.yml
		ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
			.listeners(events)
			.run(all.stream().map((property) -> "--" + property).toArray(String[]::new));
		return new ClusterNode(id, context, events);
	}

	String id() {
		return this.id;
	}

	int port() {
		return TestTransport.port(this.context.getEnvironment());
	}

	PresenceService presence() {
		return this.context.getBean(PresenceService.class);
	}

	EventRecorder events() {
		return this.events;
	}

	PhoenixSocket connect(String clientName) {
		return PhoenixSocket.connect(port()).named(clientName);
	}

	boolean isRunning() {
		return this.context.isActive();
	}

	@Override
	public void close() {
		if (this.context.isActive()) {
			this.context.close();
		}
	}

	@Override
	public String toString() {
		return "node " + this.id + " (port " + port() + ")";
	}

}
