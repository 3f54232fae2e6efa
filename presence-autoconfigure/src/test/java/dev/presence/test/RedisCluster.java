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
import io.lettuce.core.cluster.SlotHash;
import org.awaitility.Awaitility;

/**
 * A Redis Cluster of its own for a test: masters, each with as many replicas as asked,
 * each a {@link RedisServer} with {@code --cluster-enabled yes} on a free port of
 * {@code 127.0.0.1} (whose cluster bus port, 10000 higher, is free too), joined with
 * {@code redis-cli --cluster create}. {@link #start(int)} returns once every node reports
 * {@code cluster_state:ok} and every replica's link to its master is up.
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
		return start(masters, 0, Duration.ofSeconds(2));
	}

	/**
	 * Start a new, empty cluster whose masters have replicas.
	 * @param masters the number of masters, at least 3
	 * @param replicasPerMaster the number of replicas of each master
	 * @param nodeTimeout the {@code cluster-node-timeout}: how long a master must not
	 * answer before its replica takes over
	 * @return the cluster, every slot served, every replica in sync
	 */
	public static RedisCluster start(int masters, int replicasPerMaster, Duration nodeTimeout) {
		List<RedisServer> nodes = new ArrayList<>();
		try {
			for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
				nodes.add(RedisServer.start(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
						"--cluster-node-timeout", Long.toString(nodeTimeout.toMillis())), 10000));
			}
			RedisCluster cluster = new RedisCluster(nodes);
			cluster.create(replicasPerMaster);
			return cluster;
		}
		catch (RuntimeException ex) {
			nodes.forEach(RedisServer::close);
			throw ex;
		}
	}

	/**
	 * The nodes, masters and replicas.
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
	 * Kill one node ({@code SIGKILL}); its slots stay unserved, unless it was a master with a
	 * replica, which takes them over after the node timeout.
	 * @param index the index of the node
	 */
	public void kill(int index) {
		this.nodes.get(index).kill();
	}

	/**
	 * The index of the node that serves a key's slot now, as a running node reports it
	 * ({@code CLUSTER NODES}): its master, unless that master failed.
	 * @param key the key
	 * @return the index in {@link #nodes()}, {@code -1} when no running master serves it
	 */
	public int masterOf(String key) {
		int slot = SlotHash.getSlot(key);
		RedisServer reporter = this.nodes.stream().filter(RedisServer::isRunning).findFirst().orElseThrow();
		RedisClient client = RedisClient.create(reporter.uri());
		try (StatefulRedisConnection<String, String> connection = client.connect()) {
			for (String line : connection.sync().clusterNodes().split("\n")) {
				String[] fields = line.trim().split(" ");
				if (fields.length < 8 || !fields[2].contains("master") || fields[2].contains("fail")) {
					continue;
				}
				for (int i = 8; i < fields.length; i++) {
					if (!fields[i].startsWith("[") && contains(fields[i], slot)) {
						return indexOf(fields[1]);
					}
				}
			}
			return -1;
		}
		finally {
			client.shutdown(0, 2, TimeUnit.SECONDS);
		}
	}

	private static boolean contains(String range, int slot) {
		int dash = range.indexOf('-');
		int from = Integer.parseInt((dash < 0) ? range : range.substring(0, dash));
		int to = (dash < 0) ? from : Integer.parseInt(range.substring(dash + 1));
		return from <= slot && slot <= to;
	}

	private int indexOf(String address) {
		// ip:port@busport
		String hostAndPort = address.contains("@") ? address.substring(0, address.indexOf('@')) : address;
		for (int i = 0; i < this.nodes.size(); i++) {
			RedisServer node = this.nodes.get(i);
			if ((node.host() + ":" + node.port()).equals(hostAndPort)) {
				return i;
			}
		}
		return -1;
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

	private void create(int replicasPerMaster) {
		List<String> command = new ArrayList<>(List.of(RedisServer.findExecutable("redis-cli").toString(), "--cluster",
				"create"));
		this.nodes.forEach((node) -> command.add(node.host() + ":" + node.port()));
		command.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
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
				String replication = connection.sync().info("replication");
				if (replication.contains("role:slave")) {
					Awaitility.await(node + " in sync with its master")
						.atMost(STARTUP_TIMEOUT)
						.pollInterval(Duration.ofMillis(50))
						.until(() -> connection.sync().info("replication").contains("master_link_status:up"));
				}
			}
			finally {
				client.shutdown();
			}
		}
	}

}
