// Login tokens. A token is valid on the channel that issued it only, as each real channel system
// keeps its own sessions; expiry follows the injected clock so tests can age a token.
import { randomBytes } from 'node:crypto';

export const SESSION_DEFAULTS = Object.freeze({
  ttlSeconds: 1800,
  /** Expired tokens are swept every this many logins, so a probe logging in every few seconds cannot grow the table. */
  sweepEvery: 256,
});

interface Session {
  msisdn: string;
  channel: string;
  expiresAtMs: number;
}

export class SessionBook {
  private readonly sessions = new Map<string, Session>();
  private loginsSinceSweep = 0;

  constructor(private readonly now: () => number) {}

  issue(msisdn: string, channel: string): { token: string; expiresIn: number } {
    if (++this.loginsSinceSweep >= SESSION_DEFAULTS.sweepEvery) this.sweep();
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(token, { msisdn, channel, expiresAtMs: this.now() + SESSION_DEFAULTS.ttlSeconds * 1000 });
    return { token, expiresIn: SESSION_DEFAULTS.ttlSeconds };
  }

  /** The number a token was issued to, if it is live and from this channel. */
  resolve(token: string, channel: string): string | undefined {
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.expiresAtMs <= this.now()) {
      this.sessions.delete(token);
      return undefined;
    }
    return session.channel === channel ? session.msisdn : undefined;
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    this.loginsSinceSweep = 0;
    const now = this.now();
    for (const [token, session] of this.sessions) if (session.expiresAtMs <= now) this.sessions.delete(token);
  }
}
