// docs/protocol.md §6 cases where this server decides for itself (§7):
// 17 (we coalesce instead of closing at the 6th message), 20 (private channels refused, at once),
// 22 (a track over presence.limits.max-state-size closes the channel with a system error).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VSNS, barrier, openCase, topicName } from './helpers/cases.js';

/** The limit the test application sets with presence.limits.max-state-size (4 KB); this is well above it. */
const OVERSIZED_FIELD = 'x'.repeat(10_000);

for (const vsn of VSNS) {
  describe(`limits and errors, vsn ${vsn}`, { concurrency: true }, () => {
    test(`case 17 six tracks in a row are coalesced, not rate-limited [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c17');
      const a = kase.member(topic, { key: 'k17', listen: false });
      const o = kase.member(topic);
      await a.join();
      await o.join();

      const replies = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => a.track({ n })));

      assert.deepEqual(replies, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
      assert.equal(a.channel.state, 'joined');
      await o.waitForState((s) => s.k17?.length === 1 && s.k17[0].n === 6, 'k17 at the last payload');
      await barrier(kase, topic, o);
      assert.deepEqual(o.state().k17.map((m) => m.n), [6], 'exactly one meta, the last payload');
      assert.deepEqual(a.events.filter((e) => e.event === 'system'), [], 'no system message');
      assert.deepEqual(a.statuses().map((e) => e.status), ['SUBSCRIBED'], 'the channel stays subscribed');
      assert.equal(a.channel.state, 'joined');
    });

    test(`case 20 a private channel is refused at once and the client retries [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c20');
      const a = kase.member(topic, { private: true });
      const expected = `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;
      await a.connect();
      const subscribedAt = Date.now();

      a.subscribe();

      const first = await a.waitForStatus('CHANNEL_ERROR');
      assert.ok(first.err instanceof Error, 'the callback gets an Error');
      assert.equal(first.err.message, expected);
      assert.equal(first.err.cause?.reason, expected);
      assert.ok(first.at - subscribedAt < 3000, `the error came at once (after ${first.at - subscribedAt} ms), not after a 5 s delay`);
      const second = await a.waitForEvent(
        (e) => e.event === 'status' && e.status === 'CHANNEL_ERROR' && e !== first,
        'a second CHANNEL_ERROR (the retried join)',
        { timeout: 6000 },
      );
      const gap = second.at - first.at;
      assert.ok(gap >= 800 && gap < 4000, `the join was retried about 1 s later (after ${gap} ms)`);
      assert.equal(second.err.message, expected);
      assert.deepEqual(a.statuses('SUBSCRIBED'), []);
    });

    test(`case 22 a track over the state size limit closes the channel with a system error [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c22');
      const a = kase.member(topic, { key: 'big', listen: false });
      const o = kase.member(topic);
      await a.join();
      await o.join();

      const reply = a.track({ blob: OVERSIZED_FIELD }, { timeout: 2000 });

      const system = await a.waitForEvent((e) => e.event === 'system', 'system message');
      assert.deepEqual(system.payload, {
        extension: 'system',
        status: 'error',
        message: 'Track message size exceeded',
        channel: topic,
      });
      const closed = await a.waitForStatus('CLOSED');
      assert.ok(a.events.indexOf(system) < a.events.indexOf(closed), 'system message before CLOSED');
      assert.equal(a.client.getChannels().includes(a.channel), false, 'the channel is gone from getChannels()');
      assert.equal(a.channel.state, 'closed');
      assert.equal(await reply, 'timed out', 'the oversized track gets no reply');
      const [barrierAt] = await barrier(kase, topic, o);
      assert.deepEqual(o.presenceEvents(0, barrierAt).filter((e) => e.key === 'big'), [], 'observer saw no join of big');
      assert.deepEqual(a.statuses().map((e) => e.status), ['SUBSCRIBED', 'CLOSED'], 'not rejoined');
    });
  });
}
