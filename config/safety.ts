// The money-moving rules of docs/safety.md, checked before anything runs, and the settings of the
// probe journal and the breaker that enforce them while checks run.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CONFIG_DEFAULTS } from './defaults.js';
import type { ConfigProblem } from './errors.js';
import type { RawConfig, RawStep } from './schema.js';
import { wholeSeconds } from './settings.js';
import { parseTemplate, templateStrings } from './template-syntax.js';
import type { AlertingSettings, Check, Config, MoneyMovingPlan, Step, Tier } from './types.js';

/** Words that say a value is a credential: such a value must never reach the journal. */
const CREDENTIAL_WORDS = new Set(['token', 'pin', 'password', 'passwd', 'pwd', 'secret', 'cookie', 'session', 'sid', 'auth', 'otp', 'jwt', 'bearer', 'credential', 'credentials']);

/** `accessToken`, `session_id`, `PIN` → a credential; `mappingId`, `orderId` → not. */
function looksLikeCredential(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_]+/).map((w) => w.toLowerCase());
  return words.some((w) => CREDENTIAL_WORDS.has(w));
}

interface StepRefs {
  vars: Set<string>;
  usesPin: boolean;
  usesRunId: boolean;
}

function stepRefs(step: RawStep): StepRefs {
  const refs: StepRefs = { vars: new Set(), usesPin: false, usesRunId: false };
  const texts = step.sms ? [step.sms.text] : [];
  if (step.request) {
    texts.push(step.request.url, ...Object.values(step.request.headers ?? {}), ...(step.request.body !== undefined ? [step.request.body] : []));
    for (const t of templateStrings(step.request.json)) texts.push(t.text);
  }
  for (const text of texts) {
    let parts;
    try {
      parts = parseTemplate(text);
    } catch {
      continue; // reported by normalizeSteps
    }
    for (const part of parts) {
      if (part.kind !== 'ref') continue;
      if (part.root === 'vars' && part.path[0] !== undefined) refs.vars.add(part.path[0]);
      if (part.root === 'account' && part.path[0] === 'pin') refs.usesPin = true;
      if (part.root === 'run' && part.path[0] === 'id') refs.usesRunId = true;
    }
  }
  return refs;
}

/** Every `amount` field in a JSON body template, at any depth, with its path. */
function* amountFields(value: unknown, at = ''): Generator<{ path: string; value: unknown }> {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* amountFields(v, `${at}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'amount') yield { path: `${at}.${k}`, value: v };
      yield* amountFields(v, `${at}.${k}`);
    }
  }
}

interface MoneyPlanInput {
  transaction: string;
  moneyMoving: boolean;
  rawSteps: RawStep[];
  steps: Step[];
  stepsWhere: string;
  checkWhere: string;
  accountPool: string | null;
  maxAmount: number | null;
  maxAmountWhere: string;
  problems: ConfigProblem[];
  reported: Set<string>;
}

/**
 * The rules of docs/safety.md: a money-moving check leases an account, marks the one step that
 * moves money, compensates in `always` steps that need nothing the crash could have lost, never
 * journals a credential, and caps the amounts it sends. Returns null for other checks.
 */
export function moneyMovingPlan(i: MoneyPlanInput): MoneyMovingPlan | null {
  const problem = (where: string, message: string) => {
    const key = `${where}\u0000${message}`;
    if (i.reported.has(key)) return;
    i.reported.add(key);
    i.problems.push({ path: where, message });
  };
  const marked = i.rawSteps.flatMap((s, n) => (s.moneyMoving ? [n] : []));
  i.rawSteps.forEach((s, n) => {
    if (s.idempotent && !s.moneyMoving) problem(`${i.stepsWhere}[${n}].idempotent`, 'only the moneyMoving step can be marked idempotent');
  });
  // Literal amounts are checked now; templated ones when the request is rendered.
  let sendsAmount = false;
  i.rawSteps.forEach((s, n) => {
    const keyed = s.sms ?? s.sip;
    const fields = keyed ? (keyed.amount !== undefined ? [{ path: '.amount', value: keyed.amount as unknown }] : []) : [...amountFields(s.request?.json)];
    for (const field of fields) {
      sendsAmount = true;
      const value = typeof field.value === 'number' ? field.value : typeof field.value === 'string' && !field.value.includes('{{') ? Number(field.value) : null;
      if (value === null) continue;
      const where = `${i.stepsWhere}[${n}].${s.sms ? 'sms' : s.sip ? 'sip' : 'request.json'}${field.path}`;
      if (!Number.isFinite(value)) problem(where, `"${String(field.value)}" is not a number`);
      else if (i.maxAmount !== null && Math.abs(value) > i.maxAmount) problem(where, `${value} is above maxAmount ${i.maxAmount} (${i.checkWhere})`);
    }
  });

  if (!i.moneyMoving) {
    for (const n of marked) problem(`${i.stepsWhere}[${n}].moneyMoving`, `transaction "${i.transaction}" is not money-moving (transactions.${i.transaction}.moneyMoving: true)`);
    return null;
  }
  if (i.accountPool === null) problem(i.checkWhere, `a check of money-moving transaction "${i.transaction}" needs an account pool (accountPool on the check, its flow or checkDefaults)`);
  if (sendsAmount && i.maxAmount === null) problem(i.maxAmountWhere, `is required: a step of money-moving transaction "${i.transaction}" sends an amount (set maxAmount on the check or its flow)`);
  const compensating = i.rawSteps.flatMap((s, n) => (s.always ? [n] : []));
  if (compensating.length === 0) problem(i.stepsWhere, `a flow of money-moving transaction "${i.transaction}" needs a compensating step with always: true (the refund, the revert)`);
  if (marked.length === 0) {
    problem(i.stepsWhere, `a flow of money-moving transaction "${i.transaction}" must mark the step that moves money with moneyMoving: true`);
    return null;
  }
  for (const n of marked.slice(1)) problem(`${i.stepsWhere}[${n}].moneyMoving`, `only one step may move money (step "${i.rawSteps[marked[0] as number]?.name}" already does)`);
  const stepIndex = marked[0] as number;
  const moneyStep = i.rawSteps[stepIndex] as RawStep;
  if (moneyStep.always) problem(`${i.stepsWhere}[${stepIndex}].always`, 'the step that moves money cannot also be its own compensation');
  for (const n of compensating) {
    if (n < stepIndex) problem(`${i.stepsWhere}[${n}].always`, `a compensating step must come after the moneyMoving step "${moneyStep.name}"`);
  }
  if (moneyStep.idempotent && !stepRefs(moneyStep).usesRunId) {
    problem(`${i.stepsWhere}[${stepIndex}].idempotent`, 'an idempotent step must carry an id built from {{run.id}} for the channel to de-duplicate it by');
  }

  const loginSteps = i.rawSteps.flatMap((s, n) => (n < stepIndex && stepRefs(s).usesPin ? [n] : []));
  const extractedBy = new Map<string, number>();
  i.rawSteps.forEach((s, n) => {
    for (const name of Object.keys(s.extract ?? {})) if (!extractedBy.has(name)) extractedBy.set(name, n);
  });
  const loginOutput = new Set(loginSteps.flatMap((n) => Object.keys(i.rawSteps[n]?.extract ?? {})));
  const journaled = new Set<string>();
  const baseline = new Set<string>();
  let knownBefore = true;
  for (const name of stepRefs(moneyStep).vars) if (!loginOutput.has(name)) journaled.add(name);
  for (const n of compensating) {
    if (n <= stepIndex) continue;
    for (const name of stepRefs(i.rawSteps[n] as RawStep).vars) {
      const from = extractedBy.get(name);
      if (from === undefined) continue; // reported by normalizeSteps
      if (from > stepIndex) {
        problem(
          `${i.stepsWhere}[${n}]`,
          `{{vars.${name}}}: a compensating step may use only values extracted by the moneyMoving step "${moneyStep.name}" or before it; after a crash nothing later is known`,
        );
      }
      if (from >= stepIndex) knownBefore = false;
      if (!loginOutput.has(name)) journaled.add(name);
      if (from < stepIndex && !loginOutput.has(name)) baseline.add(name);
    }
  }
  for (const name of journaled) {
    if (!looksLikeCredential(name)) continue;
    const from = extractedBy.get(name);
    problem(
      from === undefined ? i.stepsWhere : `${i.stepsWhere}[${from}].extract.${name}`,
      'would be written to the probe journal, and its name says it is a credential; extract it in a login step (one that sends {{account.pin}}), whose output is never journaled',
    );
  }
  const fingerprint = createHash('sha256').update(JSON.stringify(i.steps)).digest('hex').slice(0, 16);
  return {
    stepIndex,
    idempotent: moneyStep.idempotent ?? false,
    loginSteps,
    journaledVars: [...journaled].sort(),
    compensationKnownBefore: knownBefore,
    baselineVars: [...baseline].sort(),
    readBackSteps: i.rawSteps.flatMap((s, n) => (n < stepIndex && !loginSteps.includes(n) && Object.keys(s.extract ?? {}).some((name) => baseline.has(name)) ? [n] : [])),
    fingerprint,
  };
}

export function normalizeSafety(
  raw: RawConfig,
  baseDir: string,
  checks: readonly Check[],
  tiers: readonly Tier[],
  alerting: AlertingSettings,
  problems: ConfigProblem[],
): { journal: Config['service']['journal']; breaker: Config['service']['breaker'] } {
  const j = raw.service.journal ?? {};
  const b = raw.service.breaker ?? {};
  const d = CONFIG_DEFAULTS;
  // The embedded sandbox keeps its balances in this process: a durable journal of them would
  // outlive the money it records. Anything else moves money that survives a crash.
  const embeddedOnly = checks
    .filter((c) => c.moneyMoving !== null)
    .every((c) => /\{\{\s*sandbox\.(?:url|smppUrl|sipUrl)\s*\}\}/.test(raw.channels[c.channel]?.baseUrl ?? ''));
  const journalPath = j.path !== undefined ? path.resolve(baseDir, j.path) : embeddedOnly ? null : path.resolve(baseDir, d.journal.path);
  const openAfter = b.openAfter ?? d.breaker.openAfter;
  // The breaker must not open before the hard-down alert of the check's tier could fire.
  const probed = new Set(checks.map((c) => c.tier));
  const strictest = tiers
    .filter((t) => probed.has(t.id))
    .reduce<{ n: number; path: string }>(
      (worst, t) =>
        t.hardDownConsecutive > worst.n
          ? { n: t.hardDownConsecutive, path: raw.tiers[t.id]?.hardDownConsecutive !== undefined ? `tiers.${t.id}.hardDownConsecutive` : 'alerting.hardDownConsecutive' }
          : worst,
      { n: 0, path: 'alerting.hardDownConsecutive' },
    );
  if (openAfter < strictest.n) {
    problems.push({
      path: b.openAfter !== undefined ? 'service.breaker.openAfter' : strictest.path,
      message: `the breaker opens after ${openAfter} failed runs, before the hard-down alert (${strictest.n} in a row) could fire; openAfter must be at least hardDownConsecutive`,
    });
  }
  return {
    journal: {
      path: journalPath,
      reconcileIntervalMs: wholeSeconds(j.reconcileInterval ?? d.journal.reconcileInterval, 'service.journal.reconcileInterval', 1000, problems),
      maxAttempts: j.maxAttempts ?? d.journal.maxAttempts,
    },
    breaker: { openAfter, maxBackoff: b.maxBackoff ?? d.breaker.maxBackoff },
  };
}
