// An Alertmanager webhook receiver on loopback for the end-to-end alerting tests: it keeps every
// notification, by path (/oncall, /noc, …), with its arrival time.
import { createServer, type Server } from 'node:http';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Alertmanager's webhook payload, the fields the tests read. */
export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: Record<string, string>;
}

export interface WebhookReceiver {
  url: string;
  received: Array<{ path: string; at: number; body: WebhookMessage }>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', at: Date.now(), body: JSON.parse(body) as WebhookMessage });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('receiver has no port');
  return { url: `http://127.0.0.1:${address.port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}
