package dev.presence.websocket;

/**
 * What the Phoenix protocol needs of the connection it runs on: send an encoded frame
 * (text, or binary for the broadcasts of version 2.0.0), close with a status and a
 * reason. {@link PhoenixConnection} and everything behind
 * it talk to this, never to the WebSocket API that carries the frames; the servlet
 * transport's implementation is {@code ClientOutbox}, the Reactor Netty one
 * {@code NettyClientTransport}; a transport opens its connections through
 * {@link PresenceConnections}. The handshake's facts (principal,
 * API key) reach the connection when it is made.
 */
public interface ClientTransport {

	/** Status of a connection closed for breaking a rule (idle, too many pending frames). */
	int POLICY_VIOLATION = 1008;

	/** Status of a connection closed for a frame larger than the server reads. */
	int TOO_BIG = 1009;

	/** Status of a connection refused by a node at its connection limit. */
	int TRY_AGAIN_LATER = 1013;

	/** Status of the connections a stopping node closes. */
	int GOING_AWAY = 1001;

	/**
	 * The connection's id, for logs.
	 */
	String id();

	/**
	 * Queue a frame for the client, as a text frame or, when
	 * {@link OutboundFrame.Encoded#binary()}, a binary one. Never blocks and never throws:
	 * a client that cannot take it is closed.
	 * @param frame the frame, encoded once for every connection it goes to
	 */
	void send(OutboundFrame.Encoded frame);

	/**
	 * Close the connection, once; what is still queued is dropped. The protocol learns
	 * that it closed from the transport, as for any other close.
	 * @param status the WebSocket close status
	 * @param reason the reason, for the client
	 * @return whether this call closed it
	 */
	boolean close(int status, String reason);

	/**
	 * Close the client when a write to it has been blocked past the send time limit.
	 * @param now the current {@link System#nanoTime()}
	 */
	void closeIfStuck(long now);

}
