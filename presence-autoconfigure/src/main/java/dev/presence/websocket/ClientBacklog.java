package dev.presence.websocket;

import java.util.ArrayDeque;

import org.jspecify.annotations.Nullable;

/**
 * The frames waiting for one client, in order, and the rule that bounds them: the backlog
 * is the bytes (of UTF-8 text) of the frames queued and not yet handed to the connection,
 * but for the largest of them, and may not pass the send buffer size. Leaving the largest
 * frame out lets one frame larger than the buffer (the state of a big room) through to a
 * client that keeps up; what the server holds for a client is at most that frame, what
 * the transport is writing and the send buffer. Shared by both transports; not
 * thread-safe, its transport guards it.
 */
public final class ClientBacklog {

	private final ArrayDeque<OutboundFrame.Encoded> queue = new ArrayDeque<>();

	private final long maxBacklog;

	private long queuedBytes;

	// the size of the largest queued frame, or -1 when the largest left and it is unknown
	private long largestQueued;

	/**
	 * Create an empty backlog.
	 * @param maxBacklog the send buffer size, in bytes
	 */
	public ClientBacklog(long maxBacklog) {
		this.maxBacklog = maxBacklog;
	}

	/**
	 * Queue a frame, unless the backlog would pass the send buffer size with it.
	 * @return whether it was queued; if not, the client does not keep up
	 */
	public boolean offer(OutboundFrame.Encoded frame) {
		long bytes = frame.bytes();
		if (backlogWith(bytes) > this.maxBacklog) {
			return false;
		}
		this.queue.addLast(frame);
		this.queuedBytes += bytes;
		if (this.largestQueued >= 0) {
			this.largestQueued = Math.max(this.largestQueued, bytes);
		}
		return true;
	}

	/**
	 * The backlog the client would have with one more frame queued: every queued byte but
	 * those of the largest frame. The queue is looked through only near the limit, and
	 * only once after its largest frame left.
	 */
	private long backlogWith(long bytes) {
		long queued = this.queuedBytes + bytes;
		if (queued <= this.maxBacklog) {
			return queued;
		}
		if (this.largestQueued < 0) {
			long largest = 0;
			for (OutboundFrame.Encoded frame : this.queue) {
				largest = Math.max(largest, frame.bytes());
			}
			this.largestQueued = largest;
		}
		return queued - Math.max(this.largestQueued, bytes);
	}

	/**
	 * Take the oldest frame, to hand it to the connection.
	 * @return the frame, or {@code null} when none waits
	 */
	public OutboundFrame.@Nullable Encoded poll() {
		OutboundFrame.Encoded next = this.queue.pollFirst();
		if (next != null) {
			this.queuedBytes -= next.bytes();
			if (next.bytes() >= this.largestQueued) {
				this.largestQueued = this.queue.isEmpty() ? 0 : -1;
			}
		}
		return next;
	}

	public boolean isEmpty() {
		return this.queue.isEmpty();
	}

	/**
	 * Drop every frame: the client is closing.
	 */
	public void clear() {
		this.queue.clear();
		this.queuedBytes = 0;
		this.largestQueued = 0;
	}

}
