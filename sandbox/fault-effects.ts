// What an injected fault does on the wire: answer with an error, wait, never answer, or drop the
// connection with a TCP reset. Requests held open are tracked so that closing the server frees
// them at once instead of waiting for clients that may never give up.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failure } from './envelope.js';
import type { Fault, FaultEffect } from './faults.js';

export class HeldRequests {
  private readonly releases = new Set<() => void>();
  private closing = false;

  /**
   * Waits `ms` (Infinity: until released). Resolves false when the wait was cut short, because
   * the client went away or the server is closing; the request must then not be answered.
   */
  hold(res: ServerResponse, ms: number): Promise<boolean> {
    if (this.closing || res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (elapsed: boolean) => {
        if (timer) clearTimeout(timer);
        res.off('close', cutShort);
        this.releases.delete(cutShort);
        resolve(elapsed);
      };
      const cutShort = () => finish(false);
      if (Number.isFinite(ms)) timer = setTimeout(() => finish(true), ms);
      res.once('close', cutShort);
      this.releases.add(cutShort);
    });
  }

  get size(): number {
    return this.releases.size;
  }

  /** Frees every held request and refuses to hold new ones: the server is closing. */
  releaseAll(): void {
    this.closing = true;
    for (const release of [...this.releases]) release();
  }
}

/** Applies what the faults decided for a request; true means the request goes on to its handler. */
export async function applyFaultEffect(effect: FaultEffect, request: FastifyRequest, reply: FastifyReply, held: HeldRequests): Promise<boolean> {
  if (effect.delayMs > 0 && !(await held.hold(reply.raw, effect.delayMs))) {
    dropConnection(request, reply, false);
    return false;
  }
  const fault = effect.terminal;
  if (!fault) return true;
  request.log.debug({ fault: fault.id, mode: fault.mode }, 'sandbox fault applied');
  switch (fault.mode) {
    case 'error':
      await reply.code(fault.httpStatus ?? 200).send(failure(fault.code ?? '5001', `injected fault ${fault.id} (${describeScope(fault)})`));
      return false;
    case 'hang':
      await held.hold(reply.raw, Number.POSITIVE_INFINITY);
      dropConnection(request, reply, false);
      return false;
    case 'reset':
      dropConnection(request, reply, true);
      return false;
    case 'latency':
      return true;
    case 'throttle':
    case 'bind_refused':
    case 'no_reply':
    case 'bad_reply':
      // The SMSC's faults (smsc.ts): the channel's HTTP API, if it has one, is not the SMSC.
      return true;
    case 'busy':
    case 'unavailable':
    case 'no_answer':
    case 'silence':
    case 'wrong_prompt':
    case 'rtp_loss':
    case 'rtp_jitter':
      // The IVR's faults (ivr.ts): they act on calls, not on HTTP requests.
      return true;
  }
}

function describeScope(fault: Fault): string {
  const s = fault.scope;
  return 'backend' in s ? `backend ${s.backend}` : s.transaction ? `channel ${s.channel}, transaction ${s.transaction}` : `channel ${s.channel}`;
}

/** Ends a request without an answer; with `reset`, a TCP RST where the socket supports it. */
function dropConnection(request: FastifyRequest, reply: FastifyReply, reset: boolean): void {
  reply.hijack();
  const socket = request.raw.socket as Socket | null | undefined;
  if (reset && socket && typeof socket.resetAndDestroy === 'function') {
    try {
      socket.resetAndDestroy();
    } catch {
      // Not a TCP socket (a pipe, or an injected test request): a plain close is the nearest thing.
    }
  }
  // Destroying the response also closes the socket of a real request and ends an injected one.
  reply.raw.destroy();
}
