package dev.presence.sample;

import java.util.Map;

import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Tells the demo page where presence is served: on this application's port (the servlet
 * transport, the default) or on the port of presence's own Reactor Netty server, when
 * {@code presence.server.port} is set.
 */
@RestController
class DemoPageSettings {

	private final Environment environment;

	DemoPageSettings(Environment environment) {
		this.environment = environment;
	}

	@GetMapping("/demo-settings.json")
	Map<String, Object> settings() {
		Integer port = this.environment.getProperty("local.presence.server.port", Integer.class);
		return (port != null) ? Map.of("presencePort", port) : Map.of();
	}

}
