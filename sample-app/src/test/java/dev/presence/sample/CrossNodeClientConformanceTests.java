package dev.presence.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.presence.test.RedisServer;
import dev.presence.test.TestTransport;

/**
 * The client conformance suite of {@code src/test/js} with two nodes on one Redis: in
 * every case the first client talks to node A and the others to node B, so each case
 * passes only if presence fans out between nodes exactly as it does within one.
 */
class CrossNodeClientConformanceTests {

	private static RedisServer redis;

	private static ConfigurableApplicationContext nodeA;

	private static ConfigurableApplicationContext nodeB;

	@BeforeAll
	static void startNodes() {
		redis = RedisServer.start();
		nodeA = startNode("a");
		nodeB = startNode("b");
	}

	private static ConfigurableApplicationContext startNode(String id) {
		// command-line arguments, not default properties: those would lose to application.yml
		List<String> arguments = new ArrayList<>(List.of("--server.port=0", "--spring.data.redis.host=" + redis.host(),
				"--spring.data.redis.port=" + redis.port(), "--presence.node-id=" + id,
				"--presence.limits.max-state-size=4KB"));
		arguments.addAll(TestTransport.current().arguments());
		return new SpringApplicationBuilder(SampleApplication.class).run(arguments.toArray(String[]::new));
	}

	@AfterAll
	static void stopNodes() {
		if (nodeB != null) {
			nodeB.close();
		}
		if (nodeA != null) {
			nodeA.close();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@TestFactory
	Stream<DynamicTest> supabaseClientConformanceAcrossTwoNodes() throws Exception {
		return SupabaseClientConformanceTests.runSuite("cross-node",
				Map.of("PRESENCE_URL", url(nodeA), "PRESENCE_URL_B", url(nodeB)));
	}

	private static String url(ConfigurableApplicationContext node) {
		return "http://127.0.0.1:" + TestTransport.port(node.getEnvironment());
	}

}
