// Whom on-call escalates to, from the config (channels.<id>.escalation, backends.<id>.escalation,
// alerting.escalation), as a generated page the runbooks in docs/alerting.md link to: the
// emergency procedure names people from the same file that names the channels.
import type { Config } from '../config/index.js';

export const ESCALATION_FILE = 'alerts/generated/escalation.md';

const cell = (text: string | null, fallback: string) => (text ?? fallback).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderEscalation(config: Config): string {
  const platform = config.alerting.escalation;
  const none = platform === null ? '**none configured**' : `${platform} (alerting.escalation)`;
  const backendsOf = (tx: Config['transactions'][number]) => tx.backends.join(', ');
  return [
    '# Escalation contacts',
    '',
    'Whom on-call escalates to, by what the alert names (its `channel`, its `transaction`\'s backends,',
    'or its `backend`). Runbooks: docs/alerting.md. Set in the config: `channels.<id>.escalation`,',
    '`backends.<id>.escalation`, and `alerting.escalation` for the monitoring itself and as the fallback.',
    '',
    '## Monitoring (target down, check not reporting, Watchdog) and fallback',
    '',
    platform ?? '**none configured** (alerting.escalation)',
    '',
    '## Channels',
    '',
    '| channel | what | escalate to |',
    '| --- | --- | --- |',
    ...config.channels.map((c) => `| ${c.id} | ${cell(c.description, c.id)} | ${cell(c.escalation, none)} |`),
    '',
    '## Backends',
    '',
    '| backend | what | escalate to |',
    '| --- | --- | --- |',
    ...config.backends.map((b) => `| ${b.id} | ${cell(b.description, b.id)} | ${cell(b.escalation, none)} |`),
    '',
    '## Transactions and the backends behind them',
    '',
    '| transaction | tier | backends |',
    '| --- | --- | --- |',
    ...config.transactions.map((t) => `| ${t.id} | ${t.tier} | ${backendsOf(t)} |`),
    '',
  ].join('\n');
}
