package dev.presence.benchmarks;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a group of clients received, counted as it arrives on the event loop threads.
 */
final class ClientStats {

	final LongAdder frames = new LongAdder();

	final LongAdder bytes = new LongAdder();

	final LongAdder diffs = new LongAdder();

	final LongAdder broadcasts = new LongAdder();

	final LongAdder errorReplies = new LongAdder();

	final LongAdder serverCloses = new LongAdder();

	final LongAdder connectFailures = new LongAdder();

	final LongAdder replyTimeouts = new LongAdder();

	long errors() {
		return this.errorReplies.sum() + this.serverCloses.sum() + this.connectFailures.sum()
				+ this.replyTimeouts.sum();
	}

	String describeErrors() {
		return "error replies " + this.errorReplies.sum() + ", closes " + this.serverCloses.sum()
				+ ", connect failures " + this.connectFailures.sum() + ", reply timeouts " + this.replyTimeouts.sum();
	}

}
