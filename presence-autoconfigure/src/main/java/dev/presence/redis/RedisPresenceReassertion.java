package dev.presence.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.presence.core.LogValues;

/**
 * Makes Redis hold what this node owns again: after Redis lost a topic (restart, flush,
 * expiry, a failover that lost writes), after the node was reaped while cut off, after a
 * topic's history went back, and after a change whose outcome is unknown. One
 * {@code reassert.lua} call per topic (per batch of entries in a large one) adds back,
 * under their refs, the entries the node owns and removes those it no longer owns; a
 * topic whose re-assert failed is reconciled again every second until Redis agrees or the
 * store stops.
 */
final class RedisPresenceReassertion {

	// logged under the store, whose work this is
	private static final Log logger = LogFactory.getLog(RedisPresenceStore.class);

	/** The most entries one {@code reassert.lua} call carries. */
	private static final int REASSERT_BATCH = 512;

	/** How long after a failed reconciliation of a topic the next one starts. */
	private static final Duration RECONCILE_DELAY = Duration.ofSeconds(1);

	private final String nodeId;

	private final RedisChangeScript script;

	private final RedisOwnedPresences owned;

	private final Predicate<String> subscribed;

	private final Supplier<@Nullable RedisClusterAsyncCommands<String, String>> commands;

	/**
	 * Create the re-assertion of a node.
	 * @param nodeId the node
	 * @param script the {@code reassert} script, run for the node
	 * @param owned what the node owns
	 * @param subscribed whether the node follows a topic (it re-asserts such a topic even
	 * when it owns nothing there, to remove entries it no longer owns)
	 * @param commands the commands of the store's connection, {@code null} while it has
	 * none
	 */
	RedisPresenceReassertion(String nodeId, RedisChangeScript script, RedisOwnedPresences owned,
			Predicate<String> subscribed, Supplier<@Nullable RedisClusterAsyncCommands<String, String>> commands) {
		this.nodeId = nodeId;
		this.script = script;
		this.owned = owned;
		this.subscribed = subscribed;
		this.commands = commands;
	}

	/**
	 * The script, for the store to load when it connects.
	 */
	RedisScript script() {
		return this.script.script();
	}

	/**
	 * Re-assert some topics, and renew the history of those that went backwards.
	 * @param topics the topics
	 * @param wentBack for each topic that went backwards, the epoch and the highest
	 * sequence number seen in it, or {@code null}
	 * @param reason why, for the log
	 * @return a future of the number of entries added back or removed
	 */
	CompletableFuture<Long> reassert(List<String> topics, @Nullable Map<String, TopicHistory> wentBack,
			String reason) {
		RedisClusterAsyncCommands<String, String> redis = this.commands.get();
		if (redis == null || topics.isEmpty()) {
			return CompletableFuture.completedFuture(0L);
		}
		List<CompletableFuture<Long>> reasserts = new ArrayList<>(topics.size());
		for (String topic : topics) {
			TopicHistory seen = (wentBack != null) ? wentBack.get(topic) : null;
			reasserts.add(RedisScript.withScriptReloaded((eval) -> reassert(redis, topic, seen, eval)));
		}
		return CompletableFuture.allOf(reasserts.toArray(CompletableFuture[]::new)).handle((done, ex) -> {
			long changed = reasserts.stream()
				.filter((reasserted) -> !reasserted.isCompletedExceptionally())
				.mapToLong(CompletableFuture::join)
				.sum();
			if (ex != null) {
				logger.warn("Node '" + this.nodeId + "' could not re-assert all its presences (" + reason
						+ "), trying again every " + RECONCILE_DELAY.toMillis() + "ms: " + ex);
				for (int i = 0; i < topics.size(); i++) {
					if (reasserts.get(i).isCompletedExceptionally()) {
						String topic = topics.get(i);
						RedisTimer.schedule(() -> reconcile(topic, 1), RECONCILE_DELAY.toMillis());
					}
				}
			}
			if (changed > 0) {
				logger.info("Node '" + this.nodeId + "' re-asserted " + changed + " presence(s) in " + topics.size()
						+ " topic(s): " + reason);
			}
			return changed;
		});
	}

	private CompletableFuture<Long> reassert(RedisClusterAsyncCommands<String, String> redis, String topic,
			@Nullable TopicHistory wentBack, boolean eval) {
		return reassert(redis, topic, wentBack, wentBack != null || this.subscribed.test(topic), eval);
	}

	/**
	 * Dispatch the re-assert of a topic.
	 * @param always whether to dispatch it even when the node owns nothing in the topic,
	 * to remove the node's entries that Redis still holds
	 */
	private CompletableFuture<Long> reassert(RedisClusterAsyncCommands<String, String> redis, String topic,
			@Nullable TopicHistory wentBack, boolean always, boolean eval) {
		return this.owned.reassert(topic, (refsAndJson) -> {
			List<CompletableFuture<Long>> calls = new ArrayList<>();
			// the node's entries that Redis holds but the node no longer owns can only be
			// told apart when one call carries every entry it owns
			boolean complete = refsAndJson.size() <= 2 * REASSERT_BATCH;
			int from = 0;
			do {
				int to = Math.min(refsAndJson.size(), from + 2 * REASSERT_BATCH);
				List<String> batch = refsAndJson.subList(from, to);
				List<String> args = new ArrayList<>(3 + batch.size());
				args.add(complete ? "1" : "");
				args.add((wentBack != null && from == 0) ? wentBack.epoch() : "");
				args.add((wentBack != null) ? Long.toString(wentBack.sequence()) : "0");
				args.addAll(batch);
				calls.add(this.script.call(redis, topic, eval, args));
				from = to;
			}
			while (from < refsAndJson.size());
			return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
				.thenApply((done) -> calls.stream().mapToLong(CompletableFuture::join).sum());
		}, always, CompletableFuture.completedFuture(0L));
	}

	/**
	 * Make Redis hold what this node owns in a topic after a change or a re-assert failed,
	 * trying again every second until it succeeds or the store stops.
	 */
	void reconcile(String topic, int attempt) {
		RedisClusterAsyncCommands<String, String> redis = this.commands.get();
		if (redis == null) {
			return;
		}
		RedisScript.withScriptReloaded((eval) -> reassert(redis, topic, null, true, eval))
			.whenComplete((changed, ex) -> {
				if (ex == null) {
					if (changed > 0) {
						logger.info("Node '" + this.nodeId + "' made Redis agree with its " + changed
								+ " presence change(s) in topic " + LogValues.quote(topic) + " after a change failed");
					}
				}
				else {
					if (attempt == 0) {
						logger.warn("Node '" + this.nodeId + "' cannot yet make Redis agree with its presences in topic "
								+ LogValues.quote(topic) + ", trying again every " + RECONCILE_DELAY.toMillis() + "ms: "
								+ ex);
					}
					RedisTimer.schedule(() -> reconcile(topic, attempt + 1), RECONCILE_DELAY.toMillis());
				}
			});
	}

}
