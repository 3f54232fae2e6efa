// Waiting for asynchronous conditions: poll a predicate until it holds or a deadline passes.
// Tests never sleep to let something happen; the only fixed window is quietPeriod(), for
// cases whose point is that nothing happens.

import { setTimeout as delay } from 'node:timers/promises';

/** Default deadline of waitFor(): generous, because the whole suite may share two CPUs with the server. */
export const DEFAULT_WAIT_MS = 15_000;

/**
 * Polls `predicate` (sync or async) every `interval` ms until it returns a truthy value, and
 * returns that value. Throws when `timeout` ms pass first; the error names `what` and, if given,
 * the result of `describe()` so a failure shows the state it was stuck in.
 */
export async function waitFor(predicate, { timeout = DEFAULT_WAIT_MS, interval = 10, what = 'condition', describe } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      // An assertion inside the predicate is "not yet"; keep its message for the timeout report.
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const details = [];
      if (lastError) details.push(`last error: ${lastError.message}`);
      if (describe) details.push(`state: ${safeDescribe(describe)}`);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${details.length ? `\n${details.join('\n')}` : ''}`);
    }
    await delay(interval);
  }
}

/**
 * A fixed window in which the caller expects nothing to happen (case 9 of docs/protocol.md §6):
 * the only place a test waits for a set time instead of a condition.
 */
export async function quietPeriod(ms = 500) {
  await delay(ms);
}

function safeDescribe(describe) {
  try {
    const value = describe();
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch (error) {
    return `<describe failed: ${error.message}>`;
  }
}
