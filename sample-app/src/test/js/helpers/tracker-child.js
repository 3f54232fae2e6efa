// A separate process that joins a topic, tracks one presence and then stays connected until it is
// killed (docs/protocol.md §6 case 13, "killing A's process"). Prints "TRACKED <reply>" once tracked.
//
// Environment: PRESENCE_URL, VSN, TOPIC, KEY.

import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const { PRESENCE_URL, VSN, TOPIC, KEY } = process.env;

const supabase = createClient(PRESENCE_URL, 'anon-key', {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: WebSocket, vsn: VSN },
});

const channel = supabase.channel(TOPIC, { config: { presence: { key: KEY } } });
let tracked = false;
channel.subscribe(async (status, err) => {
  process.stdout.write(`STATUS ${status}${err ? ` ${err.message}` : ''}\n`);
  if (status === 'SUBSCRIBED' && !tracked) {
    tracked = true;
    const reply = await channel.track({ pid: process.pid });
    process.stdout.write(`TRACKED ${reply}\n`);
  }
});
