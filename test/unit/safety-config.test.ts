// The config rules for money-moving checks (docs/safety.md): each is refused with its path and
// why, and the shipped flows pass with the plan the runner will follow.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/index.js';
import { SHIPPED } from './journal-sandbox.js';

const HEAD = `version: 1
service: { listen: "127.0.0.1:0", location: local }
tiers: { core: { objective: 0.9998 } }
backends: { payment: {} }
channels:
  web: { transport: http, baseUrl: "http://127.0.0.1:1/web", businessCode: { path: $.code, success: ["0000"] } }
  app: { transport: http, baseUrl: "http://127.0.0.1:1/app" }
transactions:
  topup: { tier: core, backends: [payment], moneyMoving: true }
  balance_query: { tier: core, backends: [payment] }
accounts:
  p: [{ msisdn: "13900000001" }]
`;

const LOGIN = `      - name: login
        request: { method: POST, url: "{{channel.baseUrl}}/login", json: { msisdn: "{{account.msisdn}}", pin: "{{account.pin}}" } }
        extract: { token: $.data.token }
`;
const TOPUP = (extra = '') => `      - name: topup
        moneyMoving: true
${extra}        request: { method: POST, url: "{{channel.baseUrl}}/topup", headers: { authorization: "Bearer {{vars.token}}" }, json: { amount: 1, orderId: "{{run.id}}" } }
        extract: { orderId: $.data.orderId }
`;
const REFUND = `      - name: refund
        always: true
        request: { method: POST, url: "{{channel.baseUrl}}/topup/{{vars.orderId}}/refund", headers: { authorization: "Bearer {{vars.token}}" } }
`;

function flow(steps: string, flowExtra = '    accountPool: p\n    maxAmount: 5\n', checks = 'checks: [{ channels: [web, app], transactions: [topup] }]\n'): string {
  return `${HEAD}flows:\n  topup:\n${flowExtra}    steps:\n${steps}${checks}`;
}

function problems(text: string): string[] {
  try {
    parseConfig(text, 'safety.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('money-moving checks in the config', () => {
  it('accepts a complete flow and works out its plan', () => {
    const config = parseConfig(flow(LOGIN + TOPUP('        idempotent: true\n') + REFUND), 'safety.yaml');
    expect(config.checks.map((c) => [c.id, c.maxAmount, c.moneyMoving?.stepIndex, c.moneyMoving?.idempotent, c.moneyMoving?.loginSteps, c.moneyMoving?.journaledVars])).toEqual([
      ['web.topup', 5, 1, true, [0], ['orderId']],
      ['app.topup', 5, 1, true, [0], ['orderId']],
    ]);
    expect(config.checks[0]?.moneyMoving?.compensationKnownBefore).toBe(false);
  });

  it('names every missing safety part, once per flow however many checks use it', () => {
    const found = problems(flow(LOGIN + TOPUP().replace('        moneyMoving: true\n', ''), '    maxAmount: 5\n'));
    expect(found).toEqual(
      expect.arrayContaining([
        'checks[0] (web.topup): a check of money-moving transaction "topup" needs an account pool (accountPool on the check, its flow or checkDefaults)',
        'flows.topup.steps: a flow of money-moving transaction "topup" needs a compensating step with always: true (the refund, the revert)',
        'flows.topup.steps: a flow of money-moving transaction "topup" must mark the step that moves money with moneyMoving: true',
      ]),
    );
    expect(found.filter((p) => p.startsWith('flows.topup.steps: a flow of money-moving transaction "topup" needs a compensating')).length).toBe(1);
  });

  it('requires a cap when a money-moving step sends an amount, and refuses a literal amount above it', () => {
    expect(problems(flow(LOGIN + TOPUP() + REFUND, '    accountPool: p\n'))).toContain(
      'flows.topup.maxAmount: is required: a step of money-moving transaction "topup" sends an amount (set maxAmount on the check or its flow)',
    );
    const over = flow(LOGIN + TOPUP().replace('amount: 1', 'amount: 50') + REFUND);
    expect(problems(over)).toContain('flows.topup.steps[1].request.json.amount: 50 is above maxAmount 5 (checks[0] (web.topup))');
    // A check's own cap overrides its flow's.
    const checkCap = flow(LOGIN + TOPUP() + REFUND, '    accountPool: p\n    maxAmount: 5\n', 'checks: [{ channel: web, transaction: topup, maxAmount: 0.5 }]\n');
    expect(problems(checkCap)).toContain('flows.topup.steps[1].request.json.amount: 1 is above maxAmount 0.5 (checks[0])');
  });

  it('refuses two money-moving steps, a compensation before it, and a money-moving step that compensates itself', () => {
    const two = flow(LOGIN + TOPUP() + TOPUP().replace('name: topup', 'name: again').replace('extract: { orderId: $.data.orderId }', 'extract: { other: $.data.orderId }') + REFUND);
    expect(problems(two)).toContain('flows.topup.steps[2].moneyMoving: only one step may move money (step "topup" already does)');
    const early = flow(LOGIN + REFUND.replace('{{vars.orderId}}', 'x') + TOPUP() + REFUND.replace('name: refund', 'name: refund2'));
    expect(problems(early)).toContain('flows.topup.steps[1].always: a compensating step must come after the moneyMoving step "topup"');
    const itself = flow(LOGIN + TOPUP('        always: true\n'));
    expect(problems(itself)).toContain('flows.topup.steps[1].always: the step that moves money cannot also be its own compensation');
  });

  it('refuses a compensation that needs a value only a later step extracts', () => {
    const verify = `      - name: verify
        request: { url: "{{channel.baseUrl}}/topup/{{vars.orderId}}", headers: { authorization: "Bearer {{vars.token}}" } }
        extract: { receipt: $.data.receipt }
`;
    const text = flow(LOGIN + TOPUP() + verify + REFUND.replace('{{vars.orderId}}/refund', '{{vars.orderId}}/refund/{{vars.receipt}}'));
    expect(problems(text)).toContain(
      'flows.topup.steps[3]: {{vars.receipt}}: a compensating step may use only values extracted by the moneyMoving step "topup" or before it; after a crash nothing later is known',
    );
  });

  it('refuses to journal a value whose name says it is a credential', () => {
    const text = flow(LOGIN + TOPUP().replace('extract: { orderId: $.data.orderId }', 'extract: { orderId: $.data.orderId, refundToken: $.data.refundToken }') + REFUND.replace('/refund"', '/refund?t={{vars.refundToken}}"'));
    expect(problems(text)).toContain(
      'flows.topup.steps[1].extract.refundToken: would be written to the probe journal, and its name says it is a credential; extract it in a login step (one that sends {{account.pin}}), whose output is never journaled',
    );
    // The login's token is re-obtained by logging in again, never journaled: no problem.
    expect(problems(flow(LOGIN + TOPUP() + REFUND))).toEqual([]);
  });

  it('refuses idempotent without an id from {{run.id}}, idempotent off the money-moving step, and a mark on a transaction that moves no money', () => {
    const noRunId = flow(LOGIN + TOPUP('        idempotent: true\n').replace('orderId: "{{run.id}}"', 'orderId: "fixed"') + REFUND);
    expect(problems(noRunId)).toContain('flows.topup.steps[1].idempotent: an idempotent step must carry an id built from {{run.id}} for the channel to de-duplicate it by');
    const offStep = flow(LOGIN.replace('        extract:', '        idempotent: true\n        extract:') + TOPUP() + REFUND);
    expect(problems(offStep)).toContain('flows.topup.steps[0].idempotent: only the moneyMoving step can be marked idempotent');
    const query = `${HEAD}flows:\n  balance_query:\n    steps:\n      - name: balance\n        moneyMoving: true\n        request: { url: "{{channel.baseUrl}}/balance" }\nchecks: [{ channel: web, transaction: balance_query }]\n`;
    expect(problems(query)).toContain('flows.balance_query.steps[0].moneyMoving: transaction "balance_query" is not money-moving (transactions.balance_query.moneyMoving: true)');
  });

  it('keeps the breaker from opening before the hard-down alert can fire', () => {
    const text = flow(LOGIN + TOPUP() + REFUND).replace('location: local }', 'location: local, breaker: { openAfter: 2 } }');
    expect(problems(text)).toContain(
      'service.breaker.openAfter: the breaker opens after 2 failed runs, before the hard-down alert (3 in a row) could fire; openAfter must be at least hardDownConsecutive',
    );
    // A probed tier's own count counts, and the problem names where it is set; an unprobed tier's does not.
    const tierCount = flow(LOGIN + TOPUP() + REFUND).replace('core: { objective: 0.9998 } }', 'core: { objective: 0.9998, hardDownConsecutive: 6 } }');
    expect(problems(tierCount)).toContain(
      'tiers.core.hardDownConsecutive: the breaker opens after 5 failed runs, before the hard-down alert (6 in a row) could fire; openAfter must be at least hardDownConsecutive',
    );
    const unprobed = flow(LOGIN + TOPUP() + REFUND).replace('core: { objective: 0.9998 } }', 'core: { objective: 0.9998 }, spare: { objective: 0.9, hardDownConsecutive: 9 } }');
    expect(problems(unprobed).filter((p) => p.includes('breaker'))).toEqual([]);
  });

  it('keeps the journal in memory only when every money-moving check targets the embedded sandbox', () => {
    const shipped = parseConfig(SHIPPED, '/etc/ch/channel-health.yaml');
    expect(shipped.service.journal).toEqual({ path: null, reconcileIntervalMs: 60_000, maxAttempts: 5 });
    expect(shipped.service.breaker).toEqual({ openAfter: 5, maxBackoff: 8 });
    const real = parseConfig(flow(LOGIN + TOPUP() + REFUND), '/etc/ch/safety.yaml');
    expect(real.service.journal.path).toBe('/etc/ch/.channel-health/journal.sqlite');
    const explicit = parseConfig(flow(LOGIN + TOPUP() + REFUND).replace('location: local }', 'location: local, journal: { path: state/j.db, reconcileInterval: 10s, maxAttempts: 2 } }'), '/etc/ch/safety.yaml');
    expect(explicit.service.journal).toEqual({ path: '/etc/ch/state/j.db', reconcileIntervalMs: 10_000, maxAttempts: 2 });
  });

  it('plans the shipped flows: what is journaled and whether a revert needs the answer', () => {
    const shipped = parseConfig(SHIPPED, 'channel-health.yaml');
    const plan = (id: string) => {
      const c = shipped.checks.find((x) => x.id === id);
      return { step: c?.steps[c.moneyMoving?.stepIndex ?? -1]?.name, vars: c?.moneyMoving?.journaledVars, before: c?.moneyMoving?.compensationKnownBefore, idempotent: c?.moneyMoving?.idempotent, cap: c?.maxAmount };
    };
    expect(plan('web.topup')).toEqual({ step: 'topup', vars: ['orderId'], before: false, idempotent: true, cap: 1 });
    expect(plan('web.plan_change')).toEqual({ step: 'change', vars: ['previous', 'target'], before: true, idempotent: false, cap: null });
    expect(plan('web.profile_update')).toEqual({ step: 'update', vars: ['previous'], before: true, idempotent: false, cap: null });
    expect(plan('web.data_addon')).toEqual({ step: 'activate', vars: ['subscriptionId'], before: false, idempotent: false, cap: null });
    expect(shipped.checks.find((c) => c.id === 'web.balance_query')?.moneyMoving).toBeNull();
  });

  it('names the baseline of the shipped flows and the steps that read it back', () => {
    const shipped = parseConfig(SHIPPED, 'channel-health.yaml');
    const baseline = (id: string) => {
      const c = shipped.checks.find((x) => x.id === id);
      return { vars: c?.moneyMoving?.baselineVars, readBack: c?.moneyMoving?.readBackSteps.map((n) => c.steps[n]?.name) };
    };
    // `target` is read before the change too, but only the change uses it: not the account's state.
    expect(baseline('web.plan_change')).toEqual({ vars: ['previous'], readBack: ['current'] });
    expect(baseline('web.profile_update')).toEqual({ vars: ['previous'], readBack: ['current'] });
    // Undone by the id the answer gave: nothing of the account's own to restore or read back.
    expect(baseline('web.topup')).toEqual({ vars: [], readBack: [] });
    expect(baseline('web.data_addon')).toEqual({ vars: [], readBack: [] });
  });
});
