// Smoke case with the official Phoenix JS client (phoenix@1.8.16): two
// sockets join the same realtime topic, track through a raw `presence` push, see each other through
// phoenix's own Presence class, then one leaves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Presence, Socket } from 'phoenix';
import WebSocket from 'ws';
import { PRESENCE_URL, API_KEY, topicName } from './helpers/cases.js';
import { waitFor } from './helpers/wait.js';

const ENDPOINT = `${PRESENCE_URL.replace(/^http/, 'ws')}/realtime/v1`;

function connect(room, key) {
  const socket = new Socket(ENDPOINT, { transport: WebSocket, params: { apikey: API_KEY } });
  socket.connect();
  const channel = socket.channel(`realtime:${room}`, { config: { presence: { key, enabled: true } } });
  const presence = new Presence(channel);
  const member = { key, socket, channel, presence, joinReplies: [], joins: [], leaves: [], syncs: 0 };
  presence.onJoin((k, current, joined) => member.joins.push({ key: k, current, joined }));
  presence.onLeave((k, current, left) => member.leaves.push({ key: k, current, left }));
  presence.onSync(() => {
    member.syncs += 1;
  });
  channel
    .join()
    .receive('ok', (response) => member.joinReplies.push({ status: 'ok', response }))
    .receive('error', (response) => member.joinReplies.push({ status: 'error', response }))
    .receive('timeout', () => member.joinReplies.push({ status: 'timeout' }));
  return member;
}

function track(member, payload) {
  return new Promise((resolve) => {
    member.channel
      .push('presence', { type: 'presence', event: 'track', payload })
      .receive('ok', () => resolve('ok'))
      .receive('error', () => resolve('error'))
      .receive('timeout', () => resolve('timed out'));
  });
}

function listed(member) {
  return member.presence.list((key, { metas }) => ({ key, metas })).sort((x, y) => x.key.localeCompare(y.key));
}

test('phoenix@1.8.16 client: two members see each other through Presence, then a leave', async (t) => {
  const room = topicName('phx');
  const members = [];
  t.after(() => {
    for (const member of members) member.socket.disconnect();
  });
  const describe = () => members.map((m) => ({ key: m.key, replies: m.joinReplies, list: listed(m) }));

  const first = connect(room, 'k1');
  members.push(first);
  await waitFor(() => first.joinReplies.length > 0, { what: 'join reply of k1', describe });
  assert.deepEqual(first.joinReplies[0].status, 'ok');
  assert.equal(await track(first, { name: 'first', online_at: new Date().toISOString() }), 'ok');
  const second = connect(room, 'k2');
  members.push(second);
  await waitFor(() => second.joinReplies.length > 0, { what: 'join reply of k2', describe });
  assert.deepEqual(second.joinReplies[0].status, 'ok');
  assert.equal(await track(second, { name: 'second' }), 'ok');

  for (const member of [first, second]) {
    await waitFor(() => listed(member).map((p) => p.key).join() === 'k1,k2', { what: `both keys seen by ${member.key}`, describe });
    const [k1, k2] = listed(member);
    assert.equal(k1.metas.length, 1);
    assert.equal(k1.metas[0].name, 'first');
    assert.equal(typeof k1.metas[0].phx_ref, 'string');
    assert.equal(k2.metas[0].name, 'second');
  }
  assert.ok(first.joins.some((j) => j.key === 'k2'), 'onJoin fired for k2');
  assert.ok(first.syncs > 0, 'onSync fired');

  await new Promise((resolve) => {
    second.channel.leave().receive('ok', resolve).receive('timeout', resolve);
  });

  await waitFor(() => first.leaves.some((l) => l.key === 'k2'), { what: 'onLeave for k2', describe });
  await waitFor(() => listed(first).map((p) => p.key).join() === 'k1', { what: 'only k1 left', describe });
  const leave = first.leaves.find((l) => l.key === 'k2');
  assert.equal(leave.left.metas[0].name, 'second');
  assert.deepEqual(leave.current.metas, []);
});
