package dev.presence.websocket;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInfo;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;

import dev.presence.core.ClientBroadcastEvent;
import dev.presence.core.Presence;
import dev.presence.core.PresenceJoinEvent;
import dev.presence.core.PresenceLeaveEvent;
import dev.presence.core.PresenceService;
import dev.presence.core.PresenceSyncEvent;
import dev.presence.security.PresenceAuthorizer;
import dev.presence.security.PresenceIdentity;
import dev.presence.test.PhoenixSocket;
import dev.presence.test.PhoenixSocket.Frames;
import dev.presence.test.PresencePort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static dev.presence.test.PhoenixSocket.Frames.event;
import static dev.presence.test.PhoenixSocket.Frames.frame;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the protocol tests share: one application (the in-memory store, small limits, and
 * listeners that record the application events), real WebSocket clients that each test
 * closes, a topic of its own per test, and frame helpers. The tests themselves are
 * grouped by protocol section: {@code Protocol*Tests}.
 */
@SpringBootTest(classes = ProtocolTestSupport.TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "presence.store=memory", "presence.limits.max-state-size=1KB",
				"presence.limits.max-frame-size=64KB", "presence.limits.max-broadcasts-per-second=20",
				"presence.limits.max-broadcast-payload-size=4KB", "presence.events.client-broadcasts=true" })
abstract class ProtocolTestSupport {

	static final JsonMapper MAPPER = JsonMapper.builder().build();

	static final Pattern UUID_V1 = Pattern
		.compile("^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

	static final Pattern PHX_REF = Pattern.compile("^[A-Za-z0-9_-]{16}$");

	private static final AtomicInteger topicCounter = new AtomicInteger();

	static final HttpClient http = HttpClient.newHttpClient();

	@PresencePort
	int port;

	@Autowired
	PresenceService presenceService;

	@Autowired
	RecordingListener events;

	final List<PhoenixSocket> clients = new ArrayList<>();

	String name;

	String topic;

	ProtocolTestSupport(TestInfo info) {
		this.name = info.getTestMethod().map((method) -> method.getName()).orElse("test") + "-"
				+ topicCounter.incrementAndGet();
		this.topic = "realtime:" + this.name;
	}

	@AfterEach
	void closeClients() {
		this.clients.forEach(PhoenixSocket::close);
	}


	PhoenixSocket joined(String topic, String key) {
		PhoenixSocket client = connect();
		client.send(join(topic, "1", config(key, true)));
		assertThat(client.reply("1").get(4).get("status").asString()).isEqualTo("ok");
		client.awaitReceived(event("presence_state"));
		return client;
	}

	PhoenixSocket connect() {
		return connect("apikey=anon-key&vsn=2.0.0");
	}

	PhoenixSocket connect(String query) {
		PhoenixSocket client = PhoenixSocket.connect(uri(query));
		this.clients.add(client);
		return client;
	}

	URI uri(String query) {
		return URI.create("ws://localhost:" + this.port + "/realtime/v1/websocket?" + query);
	}

	static Presence presenceOf(JsonNode byKey) {
		JsonNode meta = byKey.get("metas").get(0);
		@SuppressWarnings("unchecked")
		Map<String, @Nullable Object> state = MAPPER.convertValue(withoutRefs(meta), Map.class);
		JsonNode previous = meta.get("phx_ref_prev");
		return new Presence(meta.get("phx_ref").asString(), (previous != null) ? previous.asString() : null, state);
	}

	static JsonNode withoutRefs(JsonNode meta) {
		ObjectNode copy = ((ObjectNode) meta).deepCopy();
		copy.remove("phx_ref");
		copy.remove("phx_ref_prev");
		return copy;
	}

	static String config(@Nullable String key, boolean enabled) {
		return Frames.config(key, enabled, false);
	}

	static String join(String topic, String joinRef, String config) {
		return Frames.join(topic, joinRef, config, null);
	}









	/**
	 * Keeps the presence events the application receives.
	 */
	static final class RecordingListener {

		final List<Object> events = new CopyOnWriteArrayList<>();

		final AtomicInteger thrown = new AtomicInteger();

		@EventListener
		@Order(1)
		void onJoin(PresenceJoinEvent event) {
			this.events.add(event);
		}

		@EventListener
		@Order(1)
		void onLeave(PresenceLeaveEvent event) {
			this.events.add(event);
		}

		@EventListener
		@Order(1)
		void onSync(PresenceSyncEvent event) {
			this.events.add(event);
		}

		@EventListener
		void onBroadcast(ClientBroadcastEvent event) {
			this.events.add(event);
		}

		List<ClientBroadcastEvent> broadcasts(String topic) {
			return this.events.stream()
				.filter((event) -> event instanceof ClientBroadcastEvent broadcast && broadcast.topic().equals(topic))
				.map(ClientBroadcastEvent.class::cast)
				.toList();
		}

		List<Object> of(String topic) {
			return this.events.stream().filter((event) -> topic.equals(topicOf(event))).toList();
		}

		private static @Nullable String topicOf(Object event) {
			if (event instanceof PresenceJoinEvent join) {
				return join.topic();
			}
			if (event instanceof PresenceLeaveEvent leave) {
				return leave.topic();
			}
			if (event instanceof PresenceSyncEvent sync) {
				return sync.topic();
			}
			return null;
		}

	}

	/**
	 * An application listener that fails on every event of topics named "...-explode".
	 */
	static final class ThrowingListener {

		private final RecordingListener recorder;

		ThrowingListener(RecordingListener recorder) {
			this.recorder = recorder;
		}

		@EventListener
		@Order(2)
		void on(PresenceSyncEvent event) {
			if (event.topic().endsWith("-explode")) {
				this.recorder.thrown.incrementAndGet();
				throw new IllegalStateException("listener failure for " + event.topic());
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration(excludeName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration" })
	static class TestApplication {

		@Bean
		RecordingListener recordingListener() {
			return new RecordingListener();
		}

		@Bean
		ThrowingListener throwingListener(RecordingListener recordingListener) {
			return new ThrowingListener(recordingListener);
		}

		/**
		 * Public topics, as by default, and private ones named {@code …-vip}; no
		 * broadcasts from topics named {@code …-readonly}, none delivered in topics named
		 * {@code …-muted}.
		 */
		@Bean
		PresenceAuthorizer presenceAuthorizer() {
			return new PresenceAuthorizer() {

				@Override
				public boolean canJoin(PresenceIdentity identity, String topic, boolean privateChannel) {
					return !privateChannel || topic.endsWith("-vip");
				}

				@Override
				public boolean canSendBroadcast(PresenceIdentity identity, String topic, boolean privateChannel) {
					return !topic.endsWith("-readonly");
				}

				@Override
				public boolean canReceiveBroadcasts(PresenceIdentity identity, String topic, boolean privateChannel) {
					return !topic.endsWith("-muted");
				}

			};
		}

	}

}
