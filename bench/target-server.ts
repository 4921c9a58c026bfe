// The probe target: a minimal HTTP server on 127.0.0.1, run as its own process so that its CPU
// is never counted against the prober being measured. Every path answers one small JSON
// envelope that satisfies the bench flows (token, order id, status DONE, business code 0000).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from(JSON.stringify({ code: '0000', message: 'ok', data: { token: 'T-1', orderId: 'O-1', status: 'DONE' } }));
let requests = 0;

const server = createServer((req, res) => {
  // Drain the request body before answering, as a real API would.
  req.resume();
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 5000;

server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'count') process.send?.({ type: 'count', requests });
});
// The parent going away (or closing IPC) ends the target: a bench never leaves a server behind.
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
