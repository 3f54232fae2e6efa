package dev.presence.redis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The entries this node owns, per topic, with the JSON they are stored as: what the node
 * re-asserts when Redis lost them.
 * <p>
 * Every change of the map and the dispatch of the Redis command that makes the same
 * change happen under one lock. Commands of one topic go out on one connection in
 * dispatch order, so a re-assert dispatched after a remove never holds the removed entry,
 * and one dispatched before it runs before it: a re-assert cannot resurrect a presence.
 * Dispatching never blocks, so neither does the lock.
 */
final class RedisOwnedPresences {

	/** Topic to ref to the stored JSON of the entry; topics in first-put order. */
	private final Map<String, Map<String, String>> byTopic = new LinkedHashMap<>();

	/** Topics emptied since the last {@link #drainDropped()}. */
	private final Set<String> dropped = new HashSet<>();

	/**
	 * Own an entry, no longer the one it replaces, and dispatch its put.
	 * @param <T> the type of the dispatch's result
	 * @param topic the topic
	 * @param ref the ref of the entry
	 * @param json the stored JSON of the entry
	 * @param replacedRef the ref it replaces, or {@code null}
	 * @param dispatch called with whether this is the node's first entry in the topic
	 * @return the dispatch's result
	 */
	synchronized <T> T put(String topic, String ref, String json, @Nullable String replacedRef,
			Function<Boolean, T> dispatch) {
		Map<String, String> entries = this.byTopic.get(topic);
		boolean first = entries == null;
		if (entries == null) {
			entries = new LinkedHashMap<>();
			this.byTopic.put(topic, entries);
			this.dropped.remove(topic);
		}
		if (replacedRef != null) {
			entries.remove(replacedRef);
		}
		entries.put(ref, json);
		return dispatch.apply(first);
	}

	/**
	 * The stored JSON of an owned entry.
	 * @param topic the topic
	 * @param ref the ref of the entry
	 * @return the JSON, {@code null} when the entry is not owned
	 */
	synchronized @Nullable String json(String topic, String ref) {
		Map<String, String> entries = this.byTopic.get(topic);
		return (entries != null) ? entries.get(ref) : null;
	}

	/**
	 * Take back a put that failed, unless a later change disowned its entry: own the entry
	 * it replaced again, as the client was told nothing changed.
	 * @param topic the topic
	 * @param ref the ref of the entry put
	 * @param replacedRef the ref of the entry it replaced, or {@code null}
	 * @param replacedJson the stored JSON of the entry it replaced, or {@code null}
	 */
	synchronized void undoPut(String topic, String ref, @Nullable String replacedRef, @Nullable String replacedJson) {
		Map<String, String> entries = this.byTopic.get(topic);
		if (entries == null || entries.remove(ref) == null) {
			return;
		}
		if (replacedRef != null && replacedJson != null) {
			entries.put(replacedRef, replacedJson);
		}
		if (entries.isEmpty()) {
			this.byTopic.remove(topic);
			this.dropped.add(topic);
		}
	}

	/**
	 * Disown an entry and dispatch its remove.
	 * @param <T> the type of the dispatch's result
	 * @param topic the topic
	 * @param ref the ref of the entry
	 * @param dispatch the dispatch
	 * @return the dispatch's result
	 */
	synchronized <T> T remove(String topic, String ref, Supplier<T> dispatch) {
		Map<String, String> entries = this.byTopic.get(topic);
		if (entries != null) {
			entries.remove(ref);
			if (entries.isEmpty()) {
				this.byTopic.remove(topic);
				this.dropped.add(topic);
			}
		}
		return dispatch.get();
	}

	/**
	 * Dispatch a command only if the node still owns an entry: the retry of a put whose
	 * script Redis did not know must not write an entry removed meanwhile.
	 * @param <T> the type of the dispatch's result
	 * @param topic the topic
	 * @param ref the ref of the entry
	 * @param dispatch the dispatch
	 * @param otherwise the result when the entry is no longer owned
	 * @return the dispatch's result, or {@code otherwise}
	 */
	synchronized <T> T ifOwned(String topic, String ref, Supplier<T> dispatch, T otherwise) {
		Map<String, String> entries = this.byTopic.get(topic);
		return (entries != null && entries.containsKey(ref)) ? dispatch.get() : otherwise;
	}

	/**
	 * Dispatch the re-assert of a topic with the entries owned now.
	 * @param <T> the type of the dispatch's result
	 * @param topic the topic
	 * @param dispatch called with ref, JSON, ref, JSON, ... of every owned entry of the
	 * topic; not called when there is none, unless {@code always}
	 * @param always whether to dispatch even when the node owns nothing in the topic
	 * @param none the result when the node owns nothing in the topic
	 * @return the dispatch's result, or {@code none}
	 */
	synchronized <T> T reassert(String topic, Function<List<String>, T> dispatch, boolean always, T none) {
		Map<String, String> entries = this.byTopic.getOrDefault(topic, Map.of());
		if (entries.isEmpty() && !always) {
			return none;
		}
		List<String> refsAndJson = new ArrayList<>(entries.size() * 2);
		entries.forEach((ref, json) -> {
			refsAndJson.add(ref);
			refsAndJson.add(json);
		});
		return dispatch.apply(refsAndJson);
	}

	/**
	 * Disown every entry and dispatch, per topic, their removal.
	 * @param <T> the type of a dispatch's result
	 * @param dispatch called with each topic and the refs owned there
	 * @return the dispatches' results
	 */
	synchronized <T> List<T> removeAll(BiFunction<String, List<String>, T> dispatch) {
		List<T> results = new ArrayList<>(this.byTopic.size());
		this.byTopic.forEach((topic, entries) -> results.add(dispatch.apply(topic, List.copyOf(entries.keySet()))));
		this.dropped.addAll(this.byTopic.keySet());
		this.byTopic.clear();
		return results;
	}

	/**
	 * The topics this node owns entries in.
	 * @return a snapshot of the topics
	 */
	synchronized List<String> topics() {
		return List.copyOf(this.byTopic.keySet());
	}

	/**
	 * Run a dispatch while no entry can change: commands it sends reach each topic's
	 * connection after every change already dispatched and before any later one.
	 * @param <T> the type of the dispatch's result
	 * @param dispatch called with the topics this node owns entries in
	 * @return the dispatch's result
	 */
	synchronized <T> T withTopics(Function<List<String>, T> dispatch) {
		return dispatch.apply(topics());
	}

	/**
	 * The topics emptied since the last call and not owned again since.
	 * @return the topics, now forgotten
	 */
	synchronized Set<String> drainDropped() {
		Set<String> drained = new HashSet<>(this.dropped);
		this.dropped.clear();
		return drained;
	}

	/**
	 * The number of entries owned.
	 * @return the count
	 */
	synchronized int size() {
		int size = 0;
		for (Map<String, String> entries : this.byTopic.values()) {
			size += entries.size();
		}
		return size;
	}

}
