// Building blocks of the conformance cases: a per-case context that owns every client it creates
// and disconnects them when the case ends, and a Member (one client channel on one topic) that
// records every presence event, system message and subscribe status it sees.

import { randomUUID } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** Base URL of the server under test, as an application would pass it to createClient(). */
export const PRESENCE_URL = process.env.PRESENCE_URL ?? 'http://127.0.0.1:8080';

/**
 * A second node of the same cluster, when the suite runs across nodes: then the first client of
 * every case talks to PRESENCE_URL and the others to PRESENCE_URL_B.
 */
export const PRESENCE_URL_B = process.env.PRESENCE_URL_B;

/** Serializer versions every case runs under (docs/protocol.md §1.3). */
export const VSNS = ['2.0.0', '1.0.0'];

export const API_KEY = 'anon-key';

/** A topic name no other case uses. */
export function topicName(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Opens the context of one case; everything it creates is closed after the test `t`. */
export function openCase(t, vsn) {
  const kase = new Case(vsn);
  t.after(() => kase.close());
  return kase;
}

export class Case {
  constructor(vsn) {
    this.vsn = vsn;
    this.clients = [];
    this.closers = [];
  }

  /** A new supabase-js client (its own WebSocket), as an application creates it. */
  client({ url, realtime = {} } = {}) {
    if (url === undefined) {
      url = (PRESENCE_URL_B && this.clients.length > 0) ? PRESENCE_URL_B : PRESENCE_URL;
    }
    const sb = createClient(url, API_KEY, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      realtime: { transport: WebSocket, vsn: this.vsn, ...realtime },
    });
    this.clients.push(sb);
    return sb;
  }

  /**
   * A channel on `topic`. Options: `key` (config.presence.key), `enabled` (config.presence.enabled),
   * `private`, `listen` (register sync/join/leave listeners, default true), `client` (share a
   * client; default: a new one), `url`, `realtime` (options of a new client).
   */
  member(topic, options = {}) {
    const sb = options.client ?? this.client({ url: options.url, realtime: options.realtime });
    return new Member(sb, topic, options);
  }

  /** Runs `close` when the case ends (after its clients are disconnected). */
  onClose(close) {
    this.closers.push(close);
  }

  async close() {
    const errors = [];
    for (const sb of this.clients) {
      try {
        await sb.removeAllChannels();
        await sb.realtime.disconnect();
      } catch (error) {
        errors.push(error);
      }
    }
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

export class Member {
  constructor(sb, topic, { key, enabled, private: isPrivate, listen = true } = {}) {
    this.client = sb;
    this.topic = topic;
    /** Everything seen, in order: presence events, {event:'system', payload}, {event:'status', status, err}. */
    this.events = [];
    const config = {};
    if (key !== undefined || enabled !== undefined) {
      config.presence = {};
      if (key !== undefined) config.presence.key = key;
      if (enabled !== undefined) config.presence.enabled = enabled;
    }
    if (isPrivate !== undefined) config.private = isPrivate;
    this.channel = sb.channel(topic, { config });
    if (listen) {
      for (const event of ['sync', 'join', 'leave']) {
        this.channel.on('presence', { event }, (payload) => this.record({ ...payload, event }));
      }
    }
    this.channel.on('system', {}, (payload) => this.record({ event: 'system', payload }));
  }

  record(entry) {
    this.events.push({ ...entry, at: Date.now() });
  }

  /** Opens the client's WebSocket and waits until it is open, so timings of a later subscribe() exclude connecting. */
  async connect() {
    this.client.realtime.connect();
    await waitFor(() => this.client.realtime.isConnected(), { what: `the WebSocket of ${this.topic} to open` });
    return this;
  }

  /** subscribe() with a callback that records every status; does not wait. */
  subscribe(timeout) {
    this.channel.subscribe((status, err) => this.record({ event: 'status', status, err }), timeout);
    return this;
  }

  /** subscribe() and wait for SUBSCRIBED. */
  async join(timeout) {
    this.subscribe(timeout);
    await this.waitForStatus('SUBSCRIBED');
    return this;
  }

  track(payload, options) {
    return this.channel.track(payload, options);
  }

  untrack(options) {
    return this.channel.untrack(options);
  }

  state() {
    return this.channel.presenceState();
  }

  /** The keys of presenceState(), sorted. */
  keys() {
    return Object.keys(this.state()).sort();
  }

  /** A position in the event log; pass it as `from` to look only at what came after. */
  mark() {
    return this.events.length;
  }

  statuses(status) {
    return this.events.filter((e) => e.event === 'status' && (status === undefined || e.status === status));
  }

  /** Presence events (sync/join/leave) since `from`, optionally only before `to`. */
  presenceEvents(from = 0, to = this.events.length) {
    return this.events.slice(from, to).filter((e) => e.event === 'sync' || e.event === 'join' || e.event === 'leave');
  }

  /** Waits for an event matching `predicate` at or after position `from`, and returns it. */
  waitForEvent(predicate, what, { from = 0, timeout } = {}) {
    return waitFor(() => this.events.slice(from).find(predicate), {
      what: `${what} on ${this.topic}`,
      timeout,
      describe: () => this.describe(),
    });
  }

  waitForStatus(status, { from = 0, timeout } = {}) {
    return this.waitForEvent((e) => e.event === 'status' && e.status === status, `status ${status}`, { from, timeout });
  }

  waitForJoin(key, options) {
    return this.waitForEvent((e) => e.event === 'join' && e.key === key, `join of ${key}`, options);
  }

  waitForLeave(key, options) {
    return this.waitForEvent((e) => e.event === 'leave' && e.key === key, `leave of ${key}`, options);
  }

  /** Waits until `predicate(presenceState())` holds. */
  waitForState(predicate, what, { timeout } = {}) {
    return waitFor(() => predicate(this.state()), {
      what: `${what} on ${this.topic}`,
      timeout,
      describe: () => ({ state: this.state(), events: this.describe() }),
    });
  }

  /** The event log in a compact form, for failure messages. */
  describe() {
    return this.events.map(describeEvent);
  }
}

export function describeEvent(e) {
  switch (e.event) {
    case 'join':
      return `join ${e.key} cur=${JSON.stringify(e.currentPresences)} new=${JSON.stringify(e.newPresences)}`;
    case 'leave':
      return `leave ${e.key} cur=${JSON.stringify(e.currentPresences)} left=${JSON.stringify(e.leftPresences)}`;
    case 'status':
      return `status ${e.status}${e.err ? ` (${e.err.message})` : ''}`;
    case 'system':
      return `system ${JSON.stringify(e.payload)}`;
    default:
      return e.event;
  }
}

/** Short names of presence events, e.g. ['join k', 'leave k', 'sync']. */
export function eventNames(events) {
  return events.map((e) => (e.key === undefined ? e.event : `${e.event} ${e.key}`));
}

/**
 * Orders a case's observations: a new client tracks a fresh key on `topic` and the call waits until
 * every observer has seen its join. Diffs of one topic reach a member in the order they were
 * applied (docs/protocol.md §5.3), so everything an observer was going to be told about earlier changes
 * came before that join. Returns, per observer, the position of that join in its event log.
 */
export async function barrier(kase, topic, ...observers) {
  const key = `barrier-${randomUUID().slice(0, 8)}`;
  const marker = kase.member(topic, { key, listen: false });
  await marker.join();
  const reply = await marker.track({ barrier: true });
  if (reply !== 'ok') throw new Error(`barrier track on ${topic} answered ${reply}`);
  const positions = [];
  for (const observer of observers) {
    const join = await observer.waitForJoin(key);
    positions.push(observer.events.indexOf(join));
  }
  return positions;
}

/** A Phoenix message in either serializer's form (docs/protocol.md §1.3) as {joinRef, ref, topic, event, payload}. */
export function decodeMessage(json) {
  if (Array.isArray(json)) {
    const [joinRef, ref, topic, event, payload] = json;
    return { joinRef, ref, topic, event, payload };
  }
  return { joinRef: json.join_ref ?? null, ref: json.ref ?? null, topic: json.topic, event: json.event, payload: json.payload };
}
