package dev.presence.redis;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;

/**
 * A script that changes a topic ({@code put}, {@code remove}, {@code reassert},
 * {@code reap}), run for one node. Each numbers and publishes its change with
 * {@code change.lua}, whose keys are the topic's and whose first three arguments are the
 * node making the change, the time to live of the topic's keys, and a fresh epoch for a
 * topic whose history starts anew: this supplies them, so a caller gives only the topic
 * and the script's own arguments, and it applies {@link RedisScript}'s {@code NOSCRIPT}
 * policy to the calls nobody else retries.
 */
final class RedisChangeScript {

	private final RedisScript script;

	private final String nodeId;

	private final String keyTimeToLive;

	/**
	 * @param name the script, {@code dev/presence/redis/<name>.lua}
	 * @param nodeId the node that makes the changes
	 * @param keyTimeToLive the time to live of a topic's keys, in milliseconds
	 */
	RedisChangeScript(String name, String nodeId, String keyTimeToLive) {
		this.script = RedisScript.load(name);
		this.nodeId = nodeId;
		this.keyTimeToLive = keyTimeToLive;
	}

	/**
	 * The script, for the store to load when it connects.
	 */
	RedisScript script() {
		return this.script;
	}

	/**
	 * Make one call, as {@code EVAL} or {@code EVALSHA}: for a caller that decides itself
	 * what to retry (see {@link RedisScript}).
	 * @param commands the commands to use
	 * @param topic the topic changed
	 * @param eval whether to send the script's body ({@code EVAL})
	 * @param own the script's own arguments, after the three it shares
	 * @return the script's reply
	 */
	CompletableFuture<Long> call(RedisScriptingAsyncCommands<String, String> commands, String topic, boolean eval,
			List<String> own) {
		String[] keys = TopicKeys.of(topic).scriptKeys();
		String[] args = new String[3 + own.size()];
		args[0] = this.nodeId;
		args[1] = this.keyTimeToLive;
		args[2] = newEpoch();
		for (int i = 0; i < own.size(); i++) {
			args[3 + i] = own.get(i);
		}
		return eval ? this.script.eval(commands, ScriptOutputType.INTEGER, keys, args)
				: this.script.evalsha(commands, ScriptOutputType.INTEGER, keys, args);
	}

	/**
	 * Run the script, once more with its body should Redis not know it.
	 * @param commands the commands to use
	 * @param topic the topic changed
	 * @param own the script's own arguments, after the three it shares
	 * @return the script's reply
	 */
	CompletableFuture<Long> run(RedisScriptingAsyncCommands<String, String> commands, String topic, List<String> own) {
		return RedisScript.withScriptReloaded((eval) -> call(commands, topic, eval, own));
	}

	/**
	 * A fresh random epoch: the id of a topic's history, should the change that carries it
	 * find none.
	 */
	static String newEpoch() {
		return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
	}

}
