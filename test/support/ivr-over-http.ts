// The shipped ivr channel turned back into an HTTP channel, for tests about alerting and
// maintenance that want three plain HTTP channels on the generic flows. The sandbox still serves
// an HTTP API for every configured channel, so the flows work; the hotline's own SIP flows go
// with it. The hotline over SIP has its own tests (ivr-sip.test.ts).
type RawConfig = Record<string, unknown>;

export function ivrOverHttp(raw: RawConfig): void {
  const channels = raw.channels as Record<string, Record<string, unknown>>;
  const ivr = channels.ivr;
  if (!ivr) return;
  delete ivr.sip;
  ivr.transport = 'http';
  ivr.baseUrl = '{{sandbox.url}}/channels/ivr';
  ivr.businessCode = channels.web?.businessCode;
  const flows = raw.flows as Record<string, unknown> | undefined;
  for (const id of Object.keys(flows ?? {})) if (id.startsWith('ivr_')) delete flows![id];
  if (Array.isArray(raw.checks)) raw.checks = raw.checks.filter((c: { channel?: string }) => c.channel !== 'ivr');
}
