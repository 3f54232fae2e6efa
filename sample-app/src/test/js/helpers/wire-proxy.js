// A TCP proxy between a client and the server under test that lets a case see and cut the wire:
// it records the HTTP upgrade request and response and every WebSocket frame in both directions,
// can cut every connection (as a dropped network would), can hold new connections until released,
// and can stop forwarding server→client bytes after the upgrade (a server that never answers).
//
// Only used by the cases that are about the wire itself (docs/protocol.md §6 cases 1, 19, 21, 23).

import net from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');

/** Starts a proxy on an ephemeral loopback port in front of `targetUrl` (http://host:port). */
export async function startWireProxy(targetUrl) {
  const proxy = new WireProxy(new URL(targetUrl));
  await proxy.listen();
  return proxy;
}

export class WireProxy {
  constructor(target) {
    this.target = target;
    /** Every connection accepted so far, in order. */
    this.connections = [];
    /** Every WebSocket frame seen so far: {conn, dir: 'c2s'|'s2c', opcode, text, json, closeCode, at, dropped}. */
    this.frames = [];
    /** When true, bytes the server sends after its upgrade response are recorded but not forwarded. */
    this.muteServer = false;
    this.held = false;
    this.pending = [];
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address();
        /** The base URL a client should use instead of the server's. */
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  /** New connections wait (accepted, not yet forwarded) until release(). */
  hold() {
    this.held = true;
  }

  release() {
    this.held = false;
    const waiting = this.pending.splice(0);
    for (const conn of waiting) this.forward(conn);
  }

  /** Destroys both sides of every open connection, as a dropped network link would. */
  cutAll() {
    for (const conn of this.connections) conn.destroy();
  }

  /** Text frames (decoded JSON where possible) in one direction, optionally of one connection. */
  messages(dir, conn) {
    return this.frames.filter((f) => f.dir === dir && f.opcode === 1 && (conn === undefined || f.conn === conn));
  }

  close() {
    this.release();
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  accept(client) {
    const conn = new ProxiedConnection(this, this.connections.length, client);
    this.connections.push(conn);
    if (this.held) {
      client.pause();
      this.pending.push(conn);
    } else {
      this.forward(conn);
    }
  }

  forward(conn) {
    if (conn.closed) return;
    conn.connectUpstream(this.target);
  }

  record(frame) {
    this.frames.push(frame);
  }
}

class ProxiedConnection {
  constructor(proxy, index, client) {
    this.proxy = proxy;
    this.index = index;
    this.client = client;
    this.upstream = null;
    this.openedAt = Date.now();
    this.closed = false;
    this.closedAt = undefined;
    this.requestLine = undefined;
    this.requestHeaders = undefined;
    this.responseStatusLine = undefined;
    this.responseHeaders = undefined;
    this.requestBuffer = Buffer.alloc(0);
    this.responseBuffer = Buffer.alloc(0);
    this.upgraded = false;
    this.c2s = new FrameReader((m) => this.onFrame('c2s', m));
    this.s2c = new FrameReader((m) => this.onFrame('s2c', m));
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  connectUpstream(target) {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    this.upstream = upstream;
    upstream.on('error', () => this.destroy());
    upstream.on('close', () => this.destroy());
    upstream.on('data', (chunk) => this.fromServer(chunk));
    this.client.on('data', (chunk) => this.fromClient(chunk));
    this.client.resume();
  }

  fromClient(chunk) {
    if (this.requestLine !== undefined) {
      this.c2s.push(chunk);
      this.upstream.write(chunk);
      return;
    }
    this.requestBuffer = Buffer.concat([this.requestBuffer, chunk]);
    const end = this.requestBuffer.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.requestBuffer.subarray(0, end).toString('latin1');
    const rest = this.requestBuffer.subarray(end + HEAD_END.length);
    this.requestBuffer = Buffer.alloc(0);
    const [requestLine, ...headerLines] = head.split('\r\n');
    this.requestLine = requestLine;
    this.requestHeaders = parseHeaders(headerLines);
    // Frames are recorded in clear text only if no compression is negotiated, so the offer of
    // permessage-deflate is taken out of the request. Nothing else is changed.
    const forwarded = [requestLine, ...headerLines.filter((l) => !/^sec-websocket-extensions\s*:/i.test(l))];
    this.upstream.write(Buffer.from(`${forwarded.join('\r\n')}\r\n\r\n`, 'latin1'));
    if (rest.length > 0) {
      this.c2s.push(rest);
      this.upstream.write(rest);
    }
  }

  fromServer(chunk) {
    if (this.upgraded) {
      this.s2c.push(chunk);
      if (!this.proxy.muteServer) this.client.write(chunk);
      return;
    }
    this.responseBuffer = Buffer.concat([this.responseBuffer, chunk]);
    const end = this.responseBuffer.indexOf(HEAD_END);
    if (end < 0) return;
    const headBytes = this.responseBuffer.subarray(0, end + HEAD_END.length);
    const rest = this.responseBuffer.subarray(end + HEAD_END.length);
    this.responseBuffer = Buffer.alloc(0);
    const [statusLine, ...headerLines] = headBytes.subarray(0, end).toString('latin1').split('\r\n');
    this.responseStatusLine = statusLine;
    this.responseHeaders = parseHeaders(headerLines);
    this.upgraded = true;
    this.client.write(headBytes);
    if (rest.length > 0) this.fromServer(rest);
  }

  onFrame(dir, { opcode, payload, compressed }) {
    const frame = { conn: this, dir, opcode, at: Date.now(), compressed, dropped: dir === 's2c' && this.proxy.muteServer };
    if (opcode === 1) {
      frame.text = payload.toString('utf8');
      try {
        frame.json = JSON.parse(frame.text);
      } catch {
        frame.json = undefined;
      }
    } else if (opcode === 8 && payload.length >= 2) {
      frame.closeCode = payload.readUInt16BE(0);
      frame.closeReason = payload.subarray(2).toString('utf8');
    }
    this.proxy.record(frame);
  }

  destroy() {
    if (!this.closed) {
      this.closed = true;
      this.closedAt = Date.now();
    }
    this.client.destroy();
    this.upstream?.destroy();
  }
}

function parseHeaders(lines) {
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Reassembles WebSocket messages (RFC 6455 §5.2) from a byte stream, unmasking client frames. */
class FrameReader {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = Buffer.alloc(0);
    this.fragments = [];
    this.messageOpcode = 0;
    this.messageCompressed = false;
  }

  push(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const buf = this.buffer;
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const rsv1 = (buf[0] & 0x40) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let length = buf[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buf.length < offset + length) return;
      const payload = Buffer.from(buf.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++) payload[i] ^= buf[maskAt + (i & 3)];
      }
      this.buffer = buf.subarray(offset + length);
      if (opcode >= 0x8) {
        this.onMessage({ opcode, payload, compressed: false });
        continue;
      }
      if (opcode !== 0) {
        this.messageOpcode = opcode;
        this.messageCompressed = rsv1;
        this.fragments = [];
      }
      this.fragments.push(payload);
      if (fin) {
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        this.onMessage({ opcode: this.messageOpcode, payload: message, compressed: this.messageCompressed });
      }
    }
  }
}
