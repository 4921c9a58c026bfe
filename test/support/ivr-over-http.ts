// The shipped ivr channel turned back into an HTTP channel, for tests about alerting and
// maintenance that want three plain HTTP channels on the generic flows. The sandbox still serves
// an HTTP API for every configured channel, so the flows work; the hotline over SIP has its own
// tests (ivr-sip.test.ts).
type RawChannels = Record<string, Record<string, unknown>>;

export function ivrOverHttp(channels: RawChannels): void {
  const ivr = channels.ivr;
  if (!ivr) return;
  delete ivr.sip;
  ivr.transport = 'http';
  ivr.baseUrl = '{{sandbox.url}}/channels/ivr';
  ivr.businessCode = channels.web?.businessCode;
}
