package dev.presence.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;

/**
 * A Lua script of the store, run with {@code EVALSHA} and, when Redis does not know the
 * script (it restarted or its script cache was flushed), once with {@code EVAL}, which
 * caches it again.
 * <p>
 * The retry goes out after commands dispatched in between: a caller for whom order
 * matters (a put must not land after the remove of the same entry) runs
 * {@link #evalsha} and decides itself what to retry.
 */
final class RedisScript {

	private static final String INCLUDE = "--#include ";

	private final String name;

	private final String body;

	private final String sha;

	private RedisScript(String name, String body) {
		this.name = name;
		this.body = body;
		this.sha = sha1(body);
	}

	/**
	 * Read the script {@code dev/presence/redis/<name>.lua} from the class path, with each
	 * {@code --#include <file>} line replaced by that file (the part the scripts that
	 * change a topic share is {@code change.lua}).
	 * @param name the name of the script, without {@code .lua}
	 * @return the script
	 */
	static RedisScript load(String name) {
		StringBuilder body = new StringBuilder();
		for (String line : read(name + ".lua").split("\n", -1)) {
			if (line.startsWith(INCLUDE)) {
				body.append(read(line.substring(INCLUDE.length()).trim()));
			}
			else {
				body.append(line).append('\n');
			}
		}
		return new RedisScript(name, body.toString());
	}

	private static String read(String path) {
		try (InputStream in = RedisScript.class.getResourceAsStream(path)) {
			if (in == null) {
				throw new IllegalStateException("Lua script '" + path + "' not found next to " + RedisScript.class);
			}
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot read Lua script '" + path + "'", ex);
		}
	}

	String name() {
		return this.name;
	}

	String sha() {
		return this.sha;
	}

	/**
	 * Load the script into Redis's script cache ({@code SCRIPT LOAD}).
	 * @param commands the commands to use
	 * @return a future that completes once Redis holds the script
	 */
	CompletableFuture<Void> load(RedisScriptingAsyncCommands<String, String> commands) {
		return commands.scriptLoad(this.body).toCompletableFuture().thenAccept((loadedSha) -> {
			if (!this.sha.equalsIgnoreCase(loadedSha)) {
				throw new IllegalStateException("Redis loaded script '" + this.name + "' as " + loadedSha
						+ " where " + this.sha + " was expected");
			}
		});
	}

	/**
	 * Run the script.
	 * @param <T> the type of the reply
	 * @param commands the commands to use
	 * @param type the type of the reply
	 * @param keys the {@code KEYS} of the script
	 * @param args the {@code ARGV} of the script
	 * @return the reply
	 */
	<T> CompletableFuture<T> run(RedisScriptingAsyncCommands<String, String> commands, ScriptOutputType type,
			String[] keys, String... args) {
		return withScriptReloaded((eval) -> eval ? eval(commands, type, keys, args) : evalsha(commands, type, keys, args));
	}

	/**
	 * The policy for a Redis that does not know a script ({@code NOSCRIPT}: it restarted,
	 * or a promoted replica never had it): make the call with {@code EVALSHA}, and once more
	 * with {@code EVAL}, which sends the script's body and caches it again, when that is
	 * the answer. Every script call that is not retried by {@link RedisRetry} (whose
	 * attempts follow the same policy) goes through here.
	 * @param <T> the type of the reply
	 * @param call the call, given whether to send the body ({@code EVAL}) or not
	 * @return the reply, or the failure (unwrapped) of the last call made
	 */
	static <T> CompletableFuture<T> withScriptReloaded(Function<Boolean, CompletableFuture<T>> call) {
		return call.apply(false)
			.exceptionallyCompose((ex) -> isNoScript(ex) ? call.apply(true)
					: CompletableFuture.failedFuture(unwrap(ex)));
	}

	/**
	 * Run the script with {@code EVALSHA} only.
	 * @param <T> the type of the reply
	 * @param commands the commands to use
	 * @param type the type of the reply
	 * @param keys the {@code KEYS} of the script
	 * @param args the {@code ARGV} of the script
	 * @return the reply; failed with a {@link RedisNoScriptException} (see
	 * {@link #isNoScript(Throwable)}) when Redis does not know the script
	 */
	<T> CompletableFuture<T> evalsha(RedisScriptingAsyncCommands<String, String> commands, ScriptOutputType type,
			String[] keys, String... args) {
		return commands.<T>evalsha(this.sha, type, keys, args).toCompletableFuture();
	}

	/**
	 * Run the script with {@code EVAL}, which caches it in Redis again.
	 * @param <T> the type of the reply
	 * @param commands the commands to use
	 * @param type the type of the reply
	 * @param keys the {@code KEYS} of the script
	 * @param args the {@code ARGV} of the script
	 * @return the reply
	 */
	<T> CompletableFuture<T> eval(RedisScriptingAsyncCommands<String, String> commands, ScriptOutputType type,
			String[] keys, String... args) {
		return commands.<T>eval(this.body, type, keys, args).toCompletableFuture();
	}

	/**
	 * Whether a failure is Redis not knowing a script.
	 * @param ex the failure
	 * @return whether it is a {@code NOSCRIPT} error
	 */
	static boolean isNoScript(Throwable ex) {
		return unwrap(ex) instanceof RedisNoScriptException;
	}

	static Throwable unwrap(Throwable ex) {
		return (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
	}

	private static String sha1(String body) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-1");
			return HexFormat.of().formatHex(digest.digest(body.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-1 is not available", ex);
		}
	}

}
