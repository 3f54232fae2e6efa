package dev.presence.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.awaitility.Awaitility;

/**
 * A Redis Cluster of its own for a test: masters without replicas, each a
 * {@link RedisServer} with {@code --cluster-enabled yes} on a free port of
 * {@code 127.0.0.1} (whose cluster bus port, 10000 higher, is free too), joined with
 * {@code redis-cli --cluster create}. {@link #start(int)} returns once every node reports
 * {@code cluster_state:ok}.
 */
public final class RedisCluster implements AutoCloseable {

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

	private final List<RedisServer> nodes;

	private RedisCluster(List<RedisServer> nodes) {
		this.nodes = List.copyOf(nodes);
	}

	/**
	 * Start a new, empty cluster.
	 * @param masters the number of masters, at least 3
	 * @return the cluster, every slot served
	 */
	public static RedisCluster start(int masters) {
		List<RedisServer> nodes = new ArrayList<>();
		try {
			for (int i = 0; i < masters; i++) {
				nodes.add(RedisServer.start(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
						"--cluster-node-timeout", "2000"), 10000));
			}
			RedisCluster cluster = new RedisCluster(nodes);
			cluster.create();
			return cluster;
		}
		catch (RuntimeException ex) {
			nodes.forEach(RedisServer::close);
			throw ex;
		}
	}

	/**
	 * The nodes, masters all.
	 * @return the nodes
	 */
	public List<RedisServer> nodes() {
		return this.nodes;
	}

	/**
	 * The URIs of every node, the seeds of a {@code RedisClusterClient}.
	 * @return the URIs
	 */
	public List<RedisURI> uris() {
		return this.nodes.stream().map((node) -> RedisURI.create(node.uri())).toList();
	}

	/**
	 * Kill one node ({@code SIGKILL}); its slots stay unserved.
	 * @param index the index of the node
	 */
	public void kill(int index) {
		this.nodes.get(index).kill();
	}

	/**
	 * Kill every node and delete their directories.
	 */
	@Override
	public void close() {
		this.nodes.forEach(RedisServer::close);
	}

	@Override
	public String toString() {
		return "RedisCluster" + this.nodes;
	}

	private void create() {
		List<String> command = new ArrayList<>(List.of(RedisServer.findExecutable("redis-cli").toString(), "--cluster",
				"create"));
		this.nodes.forEach((node) -> command.add(node.host() + ":" + node.port()));
		command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			byte[] output = process.getInputStream().readAllBytes();
			if (!process.waitFor(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
				process.destroyForcibly();
				throw new IllegalStateException("redis-cli --cluster create failed:\n"
						+ new String(output, StandardCharsets.UTF_8));
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot run " + command, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while creating the cluster", ex);
		}
		for (RedisServer node : this.nodes) {
			RedisClient client = RedisClient.create(node.uri());
			try (StatefulRedisConnection<String, String> connection = client.connect()) {
				Awaitility.await(node + " reporting cluster_state:ok")
					.atMost(STARTUP_TIMEOUT)
					.pollInterval(Duration.ofMillis(50))
					.until(() -> connection.sync().clusterInfo().contains("cluster_state:ok"));
			}
			finally {
				client.shutdown();
			}
		}
	}

}
