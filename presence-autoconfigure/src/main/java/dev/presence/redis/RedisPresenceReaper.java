package dev.presence.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.presence.engine.PresenceMonitor;

/**
 * Removes the entries of nodes that stopped beating, once cluster-wide: the node that
 * wins the claim on a dead node runs {@code reap.lua} on each of its topics, so every leave
 * is published once, with this node as its origin.
 * <p>
 * The claim outlives the reap ({@code claimTimeout}, a multiple of the node timeout), so
 * a node that saw the dead node before its removal does not reap it again; a reaper that
 * dies halfway is replaced once its claim expires, and the new one publishes only the
 * leaves {@code HDEL} says it really removed.
 */
final class RedisPresenceReaper {

	private static final Log logger = LogFactory.getLog(RedisPresenceReaper.class);

	private final String nodeId;

	private final Duration claimTimeout;

	private final RedisChangeScript reapScript;

	private final PresenceMonitor monitor;

	/** Dead nodes this node is reaping now. */
	private final Set<String> reaping = ConcurrentHashMap.newKeySet();

	RedisPresenceReaper(String nodeId, Duration claimTimeout, RedisChangeScript reapScript, PresenceMonitor monitor) {
		this.nodeId = nodeId;
		this.claimTimeout = claimTimeout;
		this.reapScript = reapScript;
		this.monitor = monitor;
	}

	/**
	 * Reap a dead node, unless another node claimed it:
	 * <pre class="code">
	 * SET presence:reap:{D} me NX PX claimTimeout     -- nil: another node reaps it
	 * SMEMBERS presence:node:{D}:topics
	 * EVALSHA &lt;reap&gt; 3 presence:{T}:e presence:{T}:s presence:{T}:changes me ttl epoch D  -- each T
	 * ZREM presence:nodes D
	 * DEL presence:node:{D}:topics
	 * </pre>
	 * @param commands the commands to use
	 * @param deadNode the id of the dead node
	 * @return a future of the number of presences removed, {@code -1} when another node
	 * claimed the dead node
	 */
	CompletableFuture<Long> reap(RedisClusterAsyncCommands<String, String> commands, String deadNode) {
		if (deadNode.equals(this.nodeId) || !this.reaping.add(deadNode)) {
			return CompletableFuture.completedFuture(-1L);
		}
		String topicsKey = TopicKeys.nodeTopics(deadNode);
		SetArgs claim = SetArgs.Builder.nx().px(this.claimTimeout.toMillis());
		return commands.set(TopicKeys.reapClaim(deadNode), this.nodeId, claim)
			.toCompletableFuture()
			.thenCompose((claimed) -> {
				if (!"OK".equals(claimed)) {
					return CompletableFuture.completedFuture(-1L);
				}
				return commands.smembers(topicsKey)
					.toCompletableFuture()
					.thenCompose((topics) -> reapTopics(commands, deadNode, topics))
					.thenCompose((removed) -> commands.zrem(RedisPresenceStore.NODES_KEY, deadNode)
						.toCompletableFuture()
						.thenCompose((ignored) -> commands.del(topicsKey).toCompletableFuture())
						.thenApply((ignored) -> removed));
			})
			.whenComplete((removed, ex) -> {
				this.reaping.remove(deadNode);
				if (ex != null) {
					logger.warn("Node '" + this.nodeId + "' could not reap dead node '" + deadNode
							+ "'; another node will once the claim expires: " + ex);
				}
			});
	}

	private CompletableFuture<Long> reapTopics(RedisClusterAsyncCommands<String, String> commands, String deadNode,
			Set<String> topics) {
		List<CompletableFuture<Long>> reaps = new ArrayList<>(topics.size());
		for (String topic : topics) {
			reaps.add(this.reapScript.run(commands, topic, List.of(deadNode)));
		}
		return CompletableFuture.allOf(reaps.toArray(CompletableFuture[]::new)).thenApply((done) -> {
			long removed = reaps.stream().mapToLong(CompletableFuture::join).sum();
			logger.info("Node '" + this.nodeId + "' reaped dead node '" + deadNode + "': " + removed
					+ " presence(s) removed in " + topics.size() + " topic(s)");
			this.monitor.nodeReaped(deadNode, (int) Math.min(removed, Integer.MAX_VALUE));
			return removed;
		});
	}

}
