// Defaults live here, once, next to the schema; nothing else writes `?? 30`.
export const CONFIG_DEFAULTS = Object.freeze({
  listen: '127.0.0.1:9470',
  location: 'local',
  sandbox: false,
  concurrency: 64,
  resultsRetained: 2000,
  publicUrl: 'http://grafana.example.invalid',
  interval: '30s',
  timeout: '10s',
  stepStatus: Object.freeze([200, 201, 202, 203, 204]),
  method: 'GET' as const,
});
