// docs/protocol.md §8, Broadcast on the presence channel: what supabase-js applications see through
// channel.send({type: 'broadcast'}) and channel.on('broadcast', {event}), with config.broadcast.self and
// .ack, under both serializers. Across two nodes the second client of every case is on the other node.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VSNS, openCase, topicName } from './helpers/cases.js';
import { waitFor } from './helpers/wait.js';

/** A channel that records every broadcast it receives, whatever its event. */
async function listener(kase, topic, { self = false, ack = false, vsn } = {}) {
  const sb = kase.client(vsn ? { realtime: { vsn } } : {});
  const channel = sb.channel(topic, { config: { broadcast: { self, ack } } });
  const received = [];
  channel.on('broadcast', { event: '*' }, (message) => received.push(message));
  await new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
  return {
    channel,
    received,
    send: (event, payload) => channel.send({ type: 'broadcast', event, payload }),
    waitFor: (predicate, what) => waitFor(() => received.find(predicate), { what: `${what} on ${topic}`, describe: () => received }),
  };
}

for (const vsn of VSNS) {
  describe(`broadcast, vsn ${vsn}`, { concurrency: true }, () => {
    test(`a broadcast reaches the other member, not the sender [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('b01');
      const a = await listener(kase, topic);
      const b = await listener(kase, topic);

      assert.equal(await a.send('cursor', { x: 10, y: 20, name: 'Zoë 🚀' }), 'ok');
      const got = await b.waitFor((m) => m.event === 'cursor', 'the cursor broadcast');
      assert.deepEqual(got, { type: 'broadcast', event: 'cursor', payload: { x: 10, y: 20, name: 'Zoë 🚀' } });

      // b answers; a's own broadcast, had it been sent to a, would have reached a before this answer
      assert.equal(await b.send('seen', {}), 'ok');
      await a.waitFor((m) => m.event === 'seen', 'the answer');
      assert.deepEqual(a.received.map((m) => m.event), ['seen']);
    });

    test(`with config.broadcast.self the sender receives its own broadcast [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('b02');
      const a = await listener(kase, topic, { self: true });
      const b = await listener(kase, topic);

      await a.send('typing', { typing: true });
      const own = await a.waitFor((m) => m.event === 'typing', 'its own broadcast');
      assert.deepEqual(own.payload, { typing: true });
      await b.waitFor((m) => m.event === 'typing', 'the broadcast');
    });

    test(`with config.broadcast.ack send() resolves 'ok' once the server took it, 'error' when refused [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('b03');
      const a = await listener(kase, topic, { ack: true });
      const b = await listener(kase, topic);

      assert.equal(await a.send('reaction', { emoji: '🎉' }), 'ok');
      await b.waitFor((m) => m.event === 'reaction', 'the reaction');
      // over the sample's presence.limits.max-broadcast-payload-size (256KB)
      assert.equal(await a.send('huge', { pad: 'x'.repeat(300 * 1024) }), 'error');
      assert.equal(await a.send('after', {}), 'ok');
      await b.waitFor((m) => m.event === 'after', 'the broadcast after the refused one');
      assert.ok(!b.received.some((m) => m.event === 'huge'), 'the refused broadcast reached nobody');
    });

    test(`broadcasts of one sender arrive in the order they were sent [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('b04');
      const a = await listener(kase, topic);
      const b = await listener(kase, topic);

      for (let n = 0; n < 40; n++) {
        await a.send('seq', { n });
      }
      await waitFor(() => b.received.filter((m) => m.event === 'seq').length === 40, { what: '40 broadcasts' });
      assert.deepEqual(b.received.filter((m) => m.event === 'seq').map((m) => m.payload.n), [...Array(40).keys()]);
    });

    test(`only the listeners of an event are called [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('b05');
      const a = await listener(kase, topic);
      const sb = kase.client();
      const cursors = [];
      const channel = sb.channel(topic);
      channel.on('broadcast', { event: 'cursor' }, (m) => cursors.push(m.payload));
      await new Promise((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()));

      await a.send('typing', { typing: true });
      await a.send('cursor', { x: 1 });
      await waitFor(() => cursors.length === 1, { what: 'the cursor' });
      assert.deepEqual(cursors, [{ x: 1 }]);
    });
  });
}

describe('broadcast between serializers', { concurrency: true }, () => {
  test('a client of 2.0.0 and one of 1.0.0 exchange broadcasts', async (t) => {
    const kase = openCase(t, '2.0.0');
    const topic = topicName('b06');
    const modern = await listener(kase, topic);
    const legacy = await listener(kase, topic, { vsn: '1.0.0' });

    await modern.send('hello', { from: 'v2', list: [1, 'two', null] });
    assert.deepEqual((await legacy.waitFor((m) => m.event === 'hello', 'hello from v2')).payload,
      { from: 'v2', list: [1, 'two', null] });
    await legacy.send('hello', { from: 'v1' });
    assert.deepEqual((await modern.waitFor((m) => m.event === 'hello', 'hello from v1')).payload, { from: 'v1' });
  });

  test('a binary payload reaches clients of 2.0.0 as the same bytes', async (t) => {
    const kase = openCase(t, '2.0.0');
    const topic = topicName('b07');
    const a = await listener(kase, topic);
    const b = await listener(kase, topic);

    const bytes = new Uint8Array([0, 1, 2, 127, 128, 255]);
    assert.equal(await a.send('frame', bytes.buffer), 'ok');
    const got = await b.waitFor((m) => m.event === 'frame', 'the binary broadcast');
    assert.ok(got.payload instanceof ArrayBuffer, `an ArrayBuffer, got ${JSON.stringify(got.payload)}`);
    assert.deepEqual([...new Uint8Array(got.payload)], [...bytes]);
  });
});
