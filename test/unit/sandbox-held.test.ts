// HeldRequests: delayed and hung requests are let go when the client leaves or the server closes,
// and nothing stays tracked afterwards (a hang fault left on for a day must not leak).
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { HeldRequests } from '../../sandbox/fault-effects.js';

const response = () => Object.assign(new EventEmitter(), { destroyed: false }) as unknown as ServerResponse;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test('a delay elapses as true and is no longer tracked', async () => {
  const held = new HeldRequests();
  const res = response();
  const waiting = held.hold(res, 200);
  expect(held.size).toBe(1);
  await vi.advanceTimersByTimeAsync(199);
  expect(held.size).toBe(1);
  await vi.advanceTimersByTimeAsync(1);
  expect(await waiting).toBe(true);
  expect(held.size).toBe(0);
  expect(res.listenerCount('close')).toBe(0);
});

test('a hang ends as false when the client goes away', async () => {
  const held = new HeldRequests();
  const res = response();
  const waiting = held.hold(res, Number.POSITIVE_INFINITY);
  await vi.advanceTimersByTimeAsync(86_400_000);
  expect(held.size).toBe(1);
  res.emit('close');
  expect(await waiting).toBe(false);
  expect(held.size).toBe(0);
});

test('closing releases every held request and refuses new holds', async () => {
  const held = new HeldRequests();
  const waits = [held.hold(response(), Number.POSITIVE_INFINITY), held.hold(response(), 60_000)];
  held.releaseAll();
  expect(await Promise.all(waits)).toEqual([false, false]);
  expect(held.size).toBe(0);
  expect(await held.hold(response(), 10)).toBe(false);
  expect(vi.getTimerCount()).toBe(0);
});
