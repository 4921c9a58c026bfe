// The sandbox SMSC: an SMPP server on its own loopback port in front of the SMS hall
// (sms-hall.ts). It accepts transceiver binds by the system_id and password of the config's
// smpp channels, takes a test subscriber's submit_sm to the channel's service number, and
// answers with a deliver_sm to that subscriber: UCS2 when the text needs it, in concatenated
// parts when it is long, carrying the submit's user_message_reference so a prober can tell
// which command it answers. Faults come from the sandbox's one fault book (/sandbox/faults):
// throttle, bind_refused, no_reply, bad_reply, latency (slow replies), hang, reset, and error
// (a failure reply with the backend's or channel's code).
import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Server, type Session, type ShortMessage } from 'smpp';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { failureReply, SmsHall } from './sms-hall.js';
import type { SandboxState } from './state.js';

/** The bind credentials of one smpp channel, password resolved. */
export interface SmscAccount {
  channel: string;
  systemId: string;
  password: string;
}

export interface SmscOptions {
  state: SandboxState;
  config: Pick<Config, 'channels'>;
  accounts: readonly SmscAccount[];
  log?: Logger;
}

export interface SandboxSmsc {
  /** smpp://host:port once listening. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const UCS2_PART_CHARS = 67;
const UCS2_SINGLE_CHARS = 70;
/** What a reply says when a bad_reply fault hits: text no probe's regex expects. */
export const BAD_REPLY_TEXT = '【营业厅】感谢您的来信，祝您生活愉快！';

export async function startSandboxSmsc(opts: SmscOptions, host = '127.0.0.1', port = 0): Promise<SandboxSmsc> {
  const { state, log } = opts;
  const hall = new SmsHall(state);
  const serviceNumbers = new Map(opts.config.channels.flatMap((c) => (c.smpp ? [[c.id, c.smpp.serviceNumber] as const] : [])));
  const timers = new Set<NodeJS.Timeout>();
  let concatRef = 0;
  let messageSerial = 0;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  /** Does an active bind_refused fault hit this channel now? */
  const bindRefused = (channel: string) => state.faults.active().some((f) => f.mode === 'bind_refused' && 'channel' in f.scope && f.scope.channel === channel && state.random() < f.rate);

  const server: Server = smpp.createServer({}, (session: Session) => {
    let channel: string | null = null;
    // A submit_sm_resp and the reply deliver_sm leave back to back: no Nagle delay between them.
    session.socket.setNoDelay(true);
    session.on('error', (err: Error) => log?.debug({ err }, 'sandbox SMSC session error'));
    const bind = (pdu: PDU) => {
      const account = opts.accounts.find((a) => a.systemId === pdu.system_id);
      let status = 0;
      if (!account) status = smpp.errors.ESME_RINVSYSID as number;
      else if (account.password !== pdu.password) status = smpp.errors.ESME_RINVPASWD as number;
      else if (bindRefused(account.channel)) status = smpp.errors.ESME_RBINDFAIL as number;
      if (status !== 0 || !account) {
        session.send(pdu.response({ command_status: status }));
        return;
      }
      channel = account.channel;
      session.send(pdu.response({ system_id: 'SANDBOX' }));
    };
    session.on('bind_transceiver', bind);
    // Receivers and transmitters would need the replies routed across binds; the probe binds as a transceiver.
    for (const other of ['bind_transmitter', 'bind_receiver']) session.on(other, (pdu: PDU) => session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS })));
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm_resp', () => undefined);
    session.on('submit_sm', (pdu: PDU) => {
      if (channel === null) return session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
      const msisdn = pdu.source_addr ?? '';
      if (pdu.destination_addr !== serviceNumbers.get(channel)) return session.send(pdu.response({ command_status: smpp.errors.ESME_RINVDSTADR }));
      // Only the test subscribers are routed to the hall from this SMSC.
      if (!state.accounts.has(msisdn)) return session.send(pdu.response({ command_status: smpp.errors.ESME_RINVSRCADR }));
      const sm = pdu.short_message as ShortMessage | undefined;
      const text = typeof sm?.message === 'string' ? sm.message : Buffer.isBuffer(sm?.message) ? sm.message.toString('latin1') : '';
      const command = hall.command(msisdn, text);
      const effect = state.faults.effect(channel, command.transaction, state.random);
      const fault = effect.terminal;
      if (fault?.mode === 'throttle') return session.send(pdu.response({ command_status: smpp.errors.ESME_RTHROTTLED }));
      if (fault?.mode === 'bind_refused' || fault?.mode === 'reset') {
        // The SMSC drops the bind: a bind_refused fault then refuses it coming back.
        session.destroy();
        return;
      }
      messageSerial += 1;
      session.send(pdu.response({ message_id: `SBX${messageSerial.toString(16).padStart(8, '0')}` }));
      if (fault?.mode === 'no_reply' || fault?.mode === 'hang') return;
      let reply: string;
      if (fault?.mode === 'bad_reply') reply = BAD_REPLY_TEXT;
      else if (fault?.mode === 'error') reply = failureReply(fault.code ?? '5001');
      else {
        try {
          reply = command.run();
        } catch (err) {
          log?.error({ err }, 'sandbox SMS hall command failed');
          reply = failureReply('5999');
        }
      }
      const deliver = () => {
        if (!session.socket.writable) return;
        concatRef = (concatRef + 1) % 256;
        for (const part of replyParts(reply, concatRef)) {
          session.deliver_sm({
            source_addr_ton: pdu.dest_addr_ton,
            source_addr_npi: pdu.dest_addr_npi,
            source_addr: pdu.destination_addr,
            dest_addr_ton: pdu.source_addr_ton,
            dest_addr_npi: pdu.source_addr_npi,
            destination_addr: msisdn,
            data_coding: part.dataCoding,
            esm_class: part.udh ? 0x40 : 0,
            short_message: part.udh ? { udh: part.udh, message: part.text } : { message: part.text },
            ...(typeof pdu.user_message_reference === 'number' ? { user_message_reference: pdu.user_message_reference } : {}),
          });
        }
      };
      if (effect.delayMs > 0) later(effect.delayMs, deliver);
      else setImmediate(deliver);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `smpp://${shownHost}:${address.port}`,
    port: address.port,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const session of [...server.sessions]) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A reply as deliver_sm parts: GSM 7-bit or UCS2 as the text needs, concatenated beyond one SMS. */
export function replyParts(text: string, ref: number): Array<{ text: string; dataCoding: number; udh: Buffer | null }> {
  const ucs2 = /[^\x20-\x7e\n\r]/.test(text);
  const dataCoding = ucs2 ? 0x08 : 0x00;
  const single = ucs2 ? UCS2_SINGLE_CHARS : 160;
  const chars = [...text];
  if (chars.length <= single) return [{ text, dataCoding, udh: null }];
  const size = ucs2 ? UCS2_PART_CHARS : 153;
  const chunks: string[] = [];
  for (let i = 0; i < chars.length; i += size) chunks.push(chars.slice(i, i + size).join(''));
  return chunks.map((chunk, i) => ({ text: chunk, dataCoding, udh: Buffer.from([0x05, 0x00, 0x03, ref, chunks.length, i + 1]) }));
}
