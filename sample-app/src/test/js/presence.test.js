// docs/protocol.md §6, the presence cases: what supabase-js applications see through
// sync / join / leave and presenceState(). Cases 2–12, 14–16 and 24, under both serializers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VSNS, barrier, eventNames, openCase, topicName } from './helpers/cases.js';
import { quietPeriod } from './helpers/wait.js';

const UUID_V1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A payload exercising what must pass through unchanged (§3.3 "Meta contents"). */
const RICH_PAYLOAD = {
  name: 'Zoë Ångström — 日本語 🚀',
  quoted: 'a "quote", a \\ backslash,\na newline and a tab\t',
  nested: { level1: { level2: { list: [1, 'two', { three: 3 }], empty: {} } } },
  list: [1, 'two', null, 3.25, false, [], {}],
  nothing: null,
  pi: 3.14159,
  negative: -0.0025,
  integer: 42,
  largeInteger: 9007199254740991,
  flag: true,
  online_at: '2024-01-01T00:00:00.000Z',
};

function withoutRef(meta) {
  const { presence_ref: _ignored, ...fields } = meta;
  return fields;
}

for (const vsn of VSNS) {
  describe(`presence, vsn ${vsn}`, { concurrency: true }, () => {
    test(`case 02 SUBSCRIBED then exactly one sync, empty state [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c02');
      const a = kase.member(topic);

      await a.join();
      const sync = await a.waitForEvent((e) => e.event === 'sync', 'first sync');
      const [barrierAt] = await barrier(kase, topic, a);

      const subscribed = a.statuses('SUBSCRIBED')[0];
      assert.ok(a.events.indexOf(subscribed) < a.events.indexOf(sync), 'SUBSCRIBED comes before the first sync');
      assert.deepEqual(eventNames(a.presenceEvents(0, barrierAt)), ['sync']);
      assert.deepEqual(a.statuses().map((e) => e.status), ['SUBSCRIBED']);
    });

    test(`case 02 presenceState() of an empty topic is {} [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const a = kase.member(topicName('c02'));

      await a.join();
      await a.waitForEvent((e) => e.event === 'sync', 'first sync');

      assert.deepEqual(a.state(), {});
    });

    test(`case 03 track resolves ok and the tracker sees its own join [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const a = kase.member(topicName('c03'));
      await a.join();
      await a.waitForEvent((e) => e.event === 'sync', 'first sync');
      const from = a.mark();

      assert.equal(await a.track({ user: 'user-1', online_at: new Date().toISOString() }), 'ok');

      const join = await a.waitForEvent((e) => e.event === 'join', 'own join', { from });
      await a.waitForEvent((e) => e.event === 'sync', 'sync after the join', { from: a.events.indexOf(join) });
      assert.deepEqual(join.currentPresences, []);
      assert.equal(join.newPresences.length, 1);
      const meta = join.newPresences[0];
      assert.equal(meta.user, 'user-1');
      assert.equal(typeof meta.presence_ref, 'string');
      assert.ok(meta.presence_ref.length > 0, 'presence_ref is not empty');
      assert.equal('phx_ref' in meta, false, 'no phx_ref field');
      assert.equal('phx_ref_prev' in meta, false, 'no phx_ref_prev field');
      assert.equal(Object.keys(a.state()).length, 1);
    });

    test(`case 04 default key is a server-generated UUID v1 [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const a = kase.member(topicName('c04'));
      await a.join();
      assert.equal(a.channel.joinPush.payload().config.presence.key ?? '', '', 'the client sends no key');

      assert.equal(await a.track({ user: 'user-1' }), 'ok');

      const join = await a.waitForEvent((e) => e.event === 'join', 'own join');
      assert.match(join.key, UUID_V1);
      assert.deepEqual(Object.keys(a.state()), [join.key]);
    });

    test(`case 04 every join gets a new generated key [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c04');
      const a = kase.member(topic);
      const b = kase.member(topic, { listen: false });
      await a.join();
      await b.join();

      assert.equal(await a.track({ who: 'a' }), 'ok');
      assert.equal(await b.track({ who: 'b' }), 'ok');

      await a.waitForState((s) => Object.keys(s).length === 2, 'two generated keys');
      for (const key of a.keys()) assert.match(key, UUID_V1);
    });

    test(`case 05 custom presence key [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const a = kase.member(topicName('c05'), { key: 'userId-123' });
      await a.join();

      assert.equal(await a.track({ user: 'u' }), 'ok');

      const join = await a.waitForEvent((e) => e.event === 'join', 'own join');
      assert.equal(join.key, 'userId-123');
      assert.deepEqual(Object.keys(a.state()), ['userId-123']);
    });

    test(`case 06 a late joiner gets the full state with payloads unchanged [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c06');
      const a = kase.member(topic, { key: 'alice' });
      await a.join();
      assert.equal(await a.track(RICH_PAYLOAD), 'ok');
      await a.waitForJoin('alice');

      const b = kase.member(topic);
      await b.join();

      const firstSync = await b.waitForEvent((e) => e.event === 'sync', 'first sync');
      const join = b.events.find((e) => e.event === 'join' && e.key === 'alice');
      assert.ok(join, `join of alice was seen: ${b.describe()}`);
      assert.ok(b.events.indexOf(join) < b.events.indexOf(firstSync), 'join of alice comes before or with the first sync');
      assert.deepEqual(Object.keys(b.state()), ['alice']);
      assert.equal(b.state().alice.length, 1);
      assert.deepEqual(withoutRef(b.state().alice[0]), RICH_PAYLOAD);
      assert.deepEqual(withoutRef(join.newPresences[0]), RICH_PAYLOAD);
    });

    test(`case 07 a live join reaches the other members [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c07');
      const a = kase.member(topic, { key: 'alice' });
      const b = kase.member(topic, { key: 'bob' });
      await a.join();
      assert.equal(await a.track({ name: 'alice' }), 'ok');
      await a.waitForJoin('alice');
      await b.join();
      await b.waitForJoin('alice');
      const from = a.mark();

      assert.equal(await b.track({ name: 'bob' }), 'ok');

      const join = await a.waitForJoin('bob', { from });
      await a.waitForEvent((e) => e.event === 'sync', 'sync after the join of bob', { from: a.events.indexOf(join) });
      assert.deepEqual(join.currentPresences, []);
      assert.equal(join.newPresences[0].name, 'bob');
      assert.deepEqual(a.keys(), ['alice', 'bob']);
    });

    test(`case 08 an update is one join and one leave in one sync [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c08');
      const a = kase.member(topic, { key: 'k', listen: false });
      const o = kase.member(topic);
      await a.join();
      assert.equal(await a.track({ v: 1 }), 'ok');
      await o.join();
      await o.waitForState((s) => s.k?.[0]?.v === 1, 'k at v=1');
      const firstRef = o.state().k[0].presence_ref;
      const from = o.mark();

      assert.equal(await a.track({ v: 2 }), 'ok');

      await o.waitForLeave('k', { from });
      const [barrierAt] = await barrier(kase, topic, o);
      const seen = o.presenceEvents(from, barrierAt);
      assert.deepEqual(eventNames(seen), ['join k', 'leave k', 'sync']);
      const [join, leave] = seen;
      assert.equal(join.currentPresences.length, 1);
      assert.equal(join.currentPresences[0].v, 1);
      assert.equal(join.newPresences.length, 1);
      assert.equal(join.newPresences[0].v, 2);
      assert.equal(leave.leftPresences.length, 1);
      assert.equal(leave.leftPresences[0].v, 1);
      assert.equal(leave.currentPresences.length, 1);
      assert.equal(leave.currentPresences[0].v, 2);
      assert.equal(o.state().k.length, 1);
      assert.equal(o.state().k[0].v, 2);
      assert.notEqual(o.state().k[0].presence_ref, firstRef, 'presence_ref changed');
    });

    test(`case 09 an identical re-track is a no-op [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c09');
      const a = kase.member(topic, { key: 'k', listen: false });
      const o = kase.member(topic);
      await a.join();
      assert.equal(await a.track({ v: 1, tags: ['x', 'y'] }), 'ok');
      await o.join();
      await o.waitForState((s) => s.k?.length === 1, 'k tracked');
      const ref = o.state().k[0].presence_ref;
      const from = o.mark();

      assert.equal(await a.track({ tags: ['x', 'y'], v: 1 }), 'ok');

      await quietPeriod(500);
      assert.deepEqual(eventNames(o.presenceEvents(from)), []);
      assert.equal(o.state().k.length, 1);
      assert.equal(o.state().k[0].presence_ref, ref);
    });

    test(`case 10 untrack [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c10');
      const a = kase.member(topic, { key: 'k', listen: false });
      const o = kase.member(topic);
      await a.join();
      assert.equal(await a.track({ v: 1 }), 'ok');
      await o.join();
      await o.waitForState((s) => s.k?.length === 1, 'k tracked');
      const from = o.mark();

      assert.equal(await a.untrack(), 'ok');

      const leave = await o.waitForLeave('k', { from });
      assert.deepEqual(leave.currentPresences, []);
      assert.equal(leave.leftPresences.length, 1);
      assert.equal(leave.leftPresences[0].v, 1);
      await o.waitForState((s) => !('k' in s), 'k gone from the state');
    });

    test(`case 11 the same key from two connections holds two metas [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c11');
      const a = kase.member(topic, { key: 'userId-123', listen: false });
      const b = kase.member(topic, { key: 'userId-123', listen: false });
      const o = kase.member(topic);
      await a.join();
      await b.join();
      assert.equal(await a.track({ tab: 1 }), 'ok');
      assert.equal(await b.track({ tab: 2 }), 'ok');
      await o.join();

      await o.waitForState((s) => s['userId-123']?.length === 2, 'two metas under userId-123');
      const metas = o.state()['userId-123'];
      assert.notEqual(metas[0].presence_ref, metas[1].presence_ref);
      assert.deepEqual(metas.map((m) => m.tab).sort(), [1, 2]);
      const from = o.mark();

      assert.equal(await a.client.removeChannel(a.channel), 'ok');

      const leave = await o.waitForLeave('userId-123', { from });
      assert.equal(leave.leftPresences.length, 1);
      assert.equal(leave.leftPresences[0].tab, 1);
      assert.equal(leave.currentPresences.length, 1);
      assert.equal(leave.currentPresences[0].tab, 2);
      assert.equal(o.state()['userId-123'].length, 1);
      assert.equal(o.state()['userId-123'][0].tab, 2);
    });

    test(`case 12 removeChannel of the only tracker [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c12');
      const a = kase.member(topic, { key: 'gone', listen: false });
      const o = kase.member(topic);
      await a.join();
      assert.equal(await a.track({ here: true }), 'ok');
      await o.join();
      await o.waitForState((s) => s.gone?.length === 1, 'gone tracked');
      const from = o.mark();

      assert.equal(await a.client.removeChannel(a.channel), 'ok');

      await a.waitForStatus('CLOSED');
      const leave = await o.waitForLeave('gone', { from });
      assert.deepEqual(leave.currentPresences, []);
      await o.waitForState((s) => Object.keys(s).length === 0, 'an empty state');
    });

    test(`case 14 a track without presence enabled is visible to others [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c14');
      const o = kase.member(topic);
      const a = kase.member(topic, { key: 'silent', listen: false });
      await o.join();
      await a.join();
      assert.equal(a.channel.joinPush.payload().config.presence.enabled, false, 'join sent enabled:false');

      assert.equal(await a.track({ quiet: true }), 'ok');

      const join = await o.waitForJoin('silent');
      assert.equal(join.newPresences[0].quiet, true);
    });

    test(`case 14 a track that turns presence on sends presence_state to the tracker (our decision, §7.1) [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c14b');
      const other = kase.member(topic, { key: 'other', listen: false });
      await other.join();
      assert.equal(await other.track({ who: 'other' }), 'ok');
      const a = kase.member(topic, { key: 'silent', listen: false });
      await a.join();

      assert.equal(await a.track({ who: 'silent' }), 'ok');

      await a.waitForState((s) => s.silent?.length === 1 && s.other?.length === 1, 'the full state on the tracker');
    });

    test(`case 15 enabled:true without listeners receives the state [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c15');
      const a = kase.member(topic, { key: 'x', listen: false });
      await a.join();
      assert.equal(await a.track({ v: 1 }), 'ok');

      const o = kase.member(topic, { enabled: true, listen: false });
      await o.join();

      assert.equal(o.channel.joinPush.payload().config.presence.enabled, true);
      await o.waitForState((s) => Object.keys(s).length === 1 && s.x?.length === 1, "state ['x']");
    });

    test(`case 16 a non-object payload is refused and nothing is tracked [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const topic = topicName('c16');
      const a = kase.member(topic, { key: 'k16', listen: false });
      const o = kase.member(topic);
      await a.join();
      await o.join();

      assert.equal(await a.track('just a string'), 'error');

      const [barrierAt] = await barrier(kase, topic, o);
      assert.deepEqual(o.presenceEvents(0, barrierAt).filter((e) => e.key === 'k16'), []);
      assert.equal('k16' in o.state(), false);
      assert.deepEqual(a.statuses().map((e) => e.status), ['SUBSCRIBED'], 'the channel stays subscribed');
    });

    test(`case 24 presences of one topic never reach another [vsn ${vsn}]`, async (t) => {
      const kase = openCase(t, vsn);
      const base = topicName('c24');
      const roomA = `${base}_a`;
      const roomB = `${base}_b`;
      const sb = kase.client();
      const a = kase.member(roomA, { key: 'in-a', client: sb });
      const bSameSocket = kase.member(roomB, { client: sb });
      const bOtherSocket = kase.member(roomB);
      const aPrefix = kase.member(base);
      await a.join();
      await bSameSocket.join();
      await bOtherSocket.join();
      await aPrefix.join();

      assert.equal(await a.track({ room: 'a' }), 'ok');
      await a.waitForJoin('in-a');

      await barrier(kase, roomB, bSameSocket, bOtherSocket);
      await barrier(kase, base, aPrefix);
      for (const observer of [bSameSocket, bOtherSocket, aPrefix]) {
        assert.deepEqual(observer.presenceEvents().filter((e) => e.key === 'in-a'), [], `${observer.topic} saw nothing of ${roomA}`);
        assert.equal('in-a' in observer.state(), false);
        assert.equal(Object.keys(observer.state()).length, 1, 'only the barrier key');
      }
      assert.deepEqual(a.keys(), ['in-a']);
    });
  });
}
