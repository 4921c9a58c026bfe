// The config file's schema. Descriptions here are the user documentation of each field
// (docs/config.md is generated from them), so they say what a NOC engineer needs to know.
import { METRICS } from '../contract/metrics.js';
import Type, { type Static } from 'typebox';
import { byDefault, CONFIG_DEFAULTS as D } from './defaults.js';
import { ID_PATTERN } from './paths.js';

const Id = (description: string) =>
  Type.String({ pattern: ID_PATTERN, description });

/** A credential is never written in the config: it names where to read it from. */
export const SecretRefSchema = Type.Union(
  [
    Type.Object(
      { env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the environment variable holding the secret.' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { file: Type.String({ minLength: 1, description: 'Path of a file holding the secret (relative to the config file); one trailing newline is dropped.' }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'A secret by reference: `{ env: NAME }` or `{ file: PATH }`. Inline values are refused.' },
);

const Duration = (description: string) =>
  Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: `${description} A duration such as 500ms, 30s, 5m, 1h, 30d.` });

const TierSchema = Type.Object(
  {
    objective: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Success objective as a ratio in (0,1), e.g. 0.9998 for five sigma.' }),
    label: Type.Optional(Type.String({ description: 'Human name shown on dashboards and reports, e.g. "five sigma".' })),
    hardDownConsecutive: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          'Runs failed in a row that make a transaction of this tier hard down; alerting.hardDownConsecutive when not set. ' +
          'A tier with a low objective needs more: a healthy channel at 94% fails 3 runs in a row once in about 4,600 runs (more than once a day at 30s), 5 in a row once in 1.3 million.',
      }),
    ),
    impactBurnRate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 1,
        description:
          'How far above its objective a channel must fail, as a multiple of the error budget (1 - objective), before the failure-share alert fires; alerting.impactBurnRate when not set. ' +
          'Times the budget it must stay below 1: at 94% no share can be 14.4 budgets (86%) apart from a hard down, so a low tier needs a small factor.',
      }),
    ),
  },
  { additionalProperties: false },
);

const BackendSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'What this shared system is (e.g. "BOSS billing").' })),
    escalation: Type.Optional(
      Type.String({ minLength: 1, description: 'Whom on-call escalates to when an alert implicates this backend (team, phone, chat room); shown in the alert\'s `escalation` annotation and named by the runbooks.' }),
    ),
  },
  { additionalProperties: false },
);

const BusinessCodeSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ description: 'JSON path of the business result code in every response body, e.g. $.code. Required on http channels.' })),
    reply: Type.Optional(
      Type.String({
        description:
          'SMPP channels: regular expression with a named group `code` that finds the business code in a failure reply, e.g. `错误码(?<code>[0-9]{4})`. ' +
          'A reply that does not match the step\'s `sms.reply` but matches this fails with business_error and that code.',
      }),
    ),
    success: Type.Array(Type.String(), { minItems: 1, description: 'Codes that mean the operation succeeded, e.g. ["0000"].' }),
    errors: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 200 }), {
        description:
          'Known failure codes and what each means, e.g. {"5101": "billing system unavailable"}. A failed step\'s code is exported as the `code` label of ' +
          METRICS.businessErrors.name +
          ' when it is listed here and as `other` when not, so a misbehaving channel cannot grow the series set; ' +
          'the weekly report ranks the codes with these meanings. At most 200 codes of 1–32 letters, digits, `_`, `.` or `-`; none may also be a success code.',
      }),
    ),
  },
  { additionalProperties: false, description: 'How this channel reports business success inside a 200 response.' },
);

/** The smpp transport's slice of a channel: the ESME bind the prober keeps to the SMSC. */
const SmppChannelSchema = Type.Object(
  {
    systemId: Type.String({ minLength: 1, maxLength: 15, description: 'system_id of the transceiver bind (SMPP limits it to 15 characters).' }),
    password: Type.Union([SecretRefSchema], { description: 'Password of the bind, by secret reference (at most 8 characters on the wire).' }),
    systemType: Type.Optional(Type.String({ maxLength: 12, description: 'system_type of the bind, as the SMSC operator assigned it; left empty when not set.' })),
    serviceNumber: Type.String({ pattern: '^[0-9]{3,20}$', description: 'The SMS hall\'s service number the probe texts (e.g. 10086); the reply comes from it.' }),
    addressTon: Type.Optional(Type.Integer({ minimum: 0, maximum: 6, description: `TON of the test numbers (source) and the service number (destination): 1 international, 0 unknown; ${byDefault(D.smpp.addressTon)}.` })),
    addressNpi: Type.Optional(Type.Integer({ minimum: 0, maximum: 18, description: `NPI of both addresses (1 is E.164); ${byDefault(D.smpp.addressNpi)}.` })),
    enquireLink: Type.Optional(Duration(`How often the bind is checked with enquire_link (${byDefault(D.smpp.enquireLink)}); one left unanswered a whole period drops and rebinds it.`)),
    window: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `Most submit_sm outstanding on the bind at once (awaiting submit_sm_resp); ${byDefault(D.smpp.window)}.` })),
    rebindMax: Type.Optional(Duration(`Longest wait between rebind attempts after the bind is lost or refused, doubling from 1s (${byDefault(D.smpp.rebindMax)}).`)),
  },
  { additionalProperties: false, description: 'Required with transport smpp: the one transceiver bind per location shared by this channel\'s checks.' },
);

/** The smpp transport's slice of a step: one command texted to the service number and its reply. */
const SmsStepSchema = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 160, description: 'Command text template sent from the test account\'s number, e.g. CXYE. GSM 7-bit when it fits, else UCS2.' }),
    amount: Type.Optional(Type.Number({ minimum: 0, description: 'The amount the command moves, as written in `text`; checked against the check\'s maxAmount like a JSON amount.' })),
    reply: Type.String({ minLength: 1, description: 'Regular expression the reply must match; named groups are the values `extract` may take, e.g. 余额为(?<balance>[0-9.]+)元.' }),
  },
  { additionalProperties: false },
);

/** The sip transport's slice of a channel: what the probe dials and the prompts it knows by name. */
const SipChannelSchema = Type.Object(
  {
    number: Type.String({ pattern: '^[0-9*#+]{2,20}$', description: 'The hotline number the probe dials (e.g. 10086); the call goes to sip:NUMBER@HOST:PORT of baseUrl, from the test account\'s number as caller.' }),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Digest username for the trunk; the password is read only when a 401/407 challenge asks for it.' })),
    password: Type.Optional(Type.Union([SecretRefSchema], { description: 'Digest password of the trunk, by secret reference (required with username).' })),
    prompts: Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' }),
      Type.String({ minLength: 1, maxLength: 200 }),
      {
        description:
          'Reference prompts: name → the prompt\'s words, from which its reference audio (8 kHz) is synthesised by telephony/prompt-voice.ts, the voice the sandbox IVR speaks with. Steps\' `sip.expect` names them. The digits a value is read out with are prompts 0 to 9 and `point`; unless named here, each is the digit\'s own word.',
      },
    ),
    busyPrompts: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' }), {
        maxItems: 20,
        description: 'Prompts that are the IVR\'s own refusal ("system busy, try later"): heard where another prompt was expected, the step fails business_error (the channel answered, and said no) instead of assertion.',
      }),
    ),
    trunkLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Probe calls up at once on this channel per location (the trunk capacity the probes may take); by default rateLimitPerSecond rounded up, or ${D.sip.trunkLines} without one. A call waits for a free line within its check's timeout.` })),
  },
  { additionalProperties: false, description: 'Required with transport sip: the hotline number, trunk credentials and reference prompts.' },
);

/** The sip transport's slice of a step: one thing done on the call, and what must be heard next. */
const SipStepSchema = Type.Object(
  {
    dial: Type.Optional(Type.Literal(true, { description: 'Place the call (the first step of a sip flow).' })),
    press: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Keys to press (template), sent as RFC 4733 telephone events: 0-9, *, #.' })),
    hangup: Type.Optional(Type.Literal(true, { description: 'End the call with BYE (a flow\'s last step; the call is ended at the end of the run in any case).' })),
    expect: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'The prompts that must be heard next, by name, space-separated; `<name>` reads a value spoken as digit prompts (like a regex group), which `extract` may take. E.g. `balance_is <balance> yuan`.',
      }),
    ),
    amount: Type.Optional(Type.Number({ minimum: 0, description: 'The amount the keys enter, as written in `press`; checked against the check\'s maxAmount like a JSON amount.' })),
  },
  { additionalProperties: false },
);

const ChannelSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    escalation: Type.Optional(
      Type.String({ minLength: 1, description: 'Whom on-call escalates to when an alert implicates this channel (team, phone, chat room); shown in the alert\'s `escalation` annotation and named by the runbooks.' }),
    ),
    transport: Type.Union([Type.Literal('http'), Type.Literal('smpp'), Type.Literal('sip')], { description: 'Prober used for this channel: http (a JSON API), smpp (an SMS hall behind an SMSC; set `smpp`) or sip (a hotline IVR called over SIP; set `sip`).' }),
    baseUrl: Type.String({
      minLength: 1,
      description:
        'Base URL of the channel API; may use {{sandbox.url}}. Must be absolute after templating. For an smpp channel, the SMSC as smpp://HOST:PORT; {{sandbox.smppUrl}} is the embedded sandbox SMSC. For a sip channel, the trunk (outbound proxy) as sip:HOST:PORT over UDP; {{sandbox.sipUrl}} is the embedded sandbox IVR.',
    }),
    smpp: Type.Optional(SmppChannelSchema),
    sip: Type.Optional(SipChannelSchema),
    tls: Type.Optional(
      Type.Object(
        {
          caFile: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'PEM file of the CA certificates trusted for this channel instead of the system\'s (a private CA, a test certificate); relative to the config file. Read at start.',
            }),
          ),
          insecureSkipVerify: Type.Optional(
            Type.Boolean({
              description: `Accept any certificate (untrusted, expired, another host's): the probe then cannot tell the channel from an impostor. For a lab only; ${byDefault(D.tls.insecureSkipVerify)}.`,
            }),
          ),
        },
        { additionalProperties: false, description: 'How an https channel\'s certificates are verified (http transport only). Without it: the system\'s CAs, full verification.' },
      ),
    ),
    rateLimitPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Most probe requests per second this process may send to the channel. On a sip channel it paces call attempts (key presses inside a call are not new requests) and, unless sip.trunkLines says otherwise, bounds the calls up at once: the trunk capacity.' })),
    capacityPerSecond: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Customer transactions per second (all transactions together) the channel is provisioned to serve; the weekly report compares the peak hour\'s load with it (headroom).',
      }),
    ),
    businessCode: Type.Optional(BusinessCodeSchema),
  },
  { additionalProperties: false },
);

const TransactionSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    tier: Id('Tier id (a key of `tiers`) that sets this transaction\'s objective.'),
    backends: Type.Array(Id('Backend id'), { description: 'Shared systems this transaction depends on; a failing backend shows on every channel that runs it.' }),
    moneyMoving: Type.Optional(Type.Boolean({ description: 'True when a probe of this transaction changes balances, plans or add-ons and must compensate.' })),
    latencyThresholdMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'p95 latency above which the NOC is warned before failures follow.' })),
  },
  { additionalProperties: false },
);

const JsonAssertionSchema = Type.Object(
  {
    path: Type.String({ description: 'JSON path into the response body, e.g. $.data.balance.' }),
    equals: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
    notEquals: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
    exists: Type.Optional(Type.Boolean()),
    matches: Type.Optional(Type.String({ description: 'Regular expression the value (as text) must match.' })),
    lessThan: Type.Optional(Type.Number()),
    greaterThan: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

const StepSchema = Type.Object(
  {
    name: Id('Step name; reported as the failing step and as the `step` label.'),
    always: Type.Optional(Type.Boolean({ description: 'Run even after an earlier step failed (compensating cleanup such as a refund).' })),
    moneyMoving: Type.Optional(
      Type.Boolean({
        description:
          'Marks the one step of a money-moving flow that changes the account (the top-up, the plan change). The journal records the run as intended just before it is sent and as done once it succeeds; see docs/safety.md.',
      }),
    ),
    idempotent: Type.Optional(
      Type.Boolean({
        description:
          'On the moneyMoving step: the channel de-duplicates it by an id built from {{run.id}} (e.g. an order id), so after a crash reconciliation may send it again to learn its outcome before compensating.',
      }),
    ),
    request: Type.Optional(Type.Object(
      {
        method: Type.Optional(Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)), { description: `HTTP method; ${byDefault(D.method)}.` })),
        url: Type.String({ minLength: 1, description: 'URL template, e.g. {{channel.baseUrl}}/balance.' }),
        headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Header templates.' })),
        json: Type.Optional(Type.Unknown({ description: 'JSON body; every string inside is a template.' })),
        body: Type.Optional(Type.String({ description: 'Raw body template (use json for JSON bodies).' })),
      },
      { additionalProperties: false, description: 'The HTTP request of a step on an http channel.' },
    )),
    sms: Type.Optional(Type.Union([SmsStepSchema], { description: 'The text and expected reply of a step on an smpp channel (instead of request).' })),
    sip: Type.Optional(Type.Union([SipStepSchema], { description: 'What a step does on a sip channel\'s call (dial, press or hangup) and the prompts it must hear (instead of request).' })),
    extract: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Variables for later steps ({{vars.name}}): name → JSON path of the response (http), name → named group of `sms.reply` (smpp), or name → `<group>` of `sip.expect` (sip).',
      }),
    ),
    assert: Type.Optional(
      Type.Object(
        {
          status: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1, description: `Accepted HTTP statuses; ${byDefault(D.stepStatus)} (http only).` })),
          businessCode: Type.Optional(Type.Boolean({ description: 'Check the channel\'s business result code (default true when the channel defines one).' })),
          maxLatencyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Fail the step when it takes longer than this.' })),
          json: Type.Optional(Type.Array(JsonAssertionSchema)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ScheduleFields = {
  interval: Type.Optional(
    Duration(`Run every this long, aligned to the wall clock with a per-check offset (${byDefault(D.interval)}). Must divide a minute, an hour or a day.`),
  ),
  cron: Type.Optional(Type.String({ description: 'Six-field cron expression with seconds (node-cron syntax); instead of interval.' })),
  timeout: Type.Optional(Duration(`Bound on one whole run of the check, all steps included (${byDefault(D.timeout)}).`)),
  accountPool: Type.Optional(Id('Test-account pool the check leases an account from (a key of `accounts`).')),
  metricsDetail: Type.Optional(
    Type.Union([Type.Literal('standard'), Type.Literal('full')], {
      description:
        `Series the check exports (${byDefault(D.metricsDetail)}; docs/metrics.md, "What a check costs"). \`standard\`: the run histogram, each step's last duration, failure counters created on their first failure. \`full\` adds a duration histogram per step and failure counters at zero for every reason from the start (so rate() counts the very first failure), at 11 more series per step on the shipped buckets.`,
    }),
  ),
};

const MaxAmount = Type.Optional(
  Type.Number({
    minimum: 0,
    description:
      'Largest `amount` a request of this check may carry, in the channel\'s unit (e.g. yuan); the runner refuses to send more. Required when a money-moving flow sends an amount.',
  }),
);

const CheckSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,127}$', description: 'Unique check id; `<channel>.<transaction>` by default.' })),
    channel: Type.Optional(Id('Channel id, for a single check.')),
    transaction: Type.Optional(Id('Transaction id, for a single check.')),
    channels: Type.Optional(Type.Union([Type.Literal('*'), Type.Array(Id('Channel id'), { minItems: 1 })], { description: 'Matrix form: these channels (or "*" for all) × `transactions`.' })),
    transactions: Type.Optional(Type.Union([Type.Literal('*'), Type.Array(Id('Transaction id'), { minItems: 1 })], { description: 'Matrix form: these transactions (or "*" for all).' })),
    flow: Type.Optional(Id('Flow (a key of `flows`) whose steps the check runs; the transaction id by default.')),
    steps: Type.Optional(Type.Array(StepSchema, { minItems: 1, description: 'Inline steps instead of a flow.' })),
    enabled: Type.Optional(Type.Boolean()),
    maxAmount: MaxAmount,
    ...ScheduleFields,
  },
  { additionalProperties: false },
);

const FlowSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    accountPool: ScheduleFields.accountPool,
    maxAmount: MaxAmount,
    steps: Type.Array(StepSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

const AccountSchema = Type.Object(
  {
    msisdn: Type.String({ pattern: '^[0-9]{5,15}$', description: 'Test subscriber number (masked in logs).' }),
    pin: Type.Optional(SecretRefSchema),
  },
  { additionalProperties: false },
);

const ReceiverSchema = Type.Object(
  {
    url: Type.Union([Type.String({ minLength: 1 }), SecretRefSchema], { description: 'Webhook URL, or a secret reference holding it.' }),
    token: Type.Optional(SecretRefSchema),
  },
  { additionalProperties: false },
);

const Severity = (description: string) => Type.Optional(Id(description));

const AlertingSchema = Type.Object(
  {
    sloWindow: Type.Optional(Duration(`Window over which the error budget is counted; ${byDefault(D.alerting.sloWindow)}.`)),
    hardDownConsecutive: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: `Probe runs failed in a row on one channel that make a transaction hard down (${byDefault(D.alerting.hardDownConsecutive)}): pages for core, warns for non-core. A tier may set its own (tiers.<id>.hardDownConsecutive).` }),
    ),
    falseAlarmProbability: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 0.01,
        description: `Bound on the probability that a channel exactly at its objective reaches a synthetic failure threshold in one evidence window (${byDefault(D.alerting.falseAlarmProbability)}). Thresholds are computed from it per check.`,
      }),
    ),
    minimumFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Fewest failed probes in a window that may alert, whatever the statistics allow (${byDefault(D.alerting.minimumFailures)}).` })),
    impactBurnRate: Type.Optional(
      Type.Number({
        exclusiveMinimum: 1,
        description: `The failure-share alert (page for alerting.pageTiers, warning for the rest) fires on probe counts that a channel failing at this many times its error budget reaches with probability below falseAlarmProbability (${byDefault(D.alerting.impactBurnRate)}: the SRE workbook's fast-burn page, 2% of a 30-day budget in an hour). A tier may set its own (tiers.<id>.impactBurnRate).`,
      }),
    ),
    evidenceWindows: Type.Optional(
      Type.Array(Duration('Window over which failed probes are counted.'), { minItems: 1, maxItems: 6, description: `Windows in which failed probes are counted against their thresholds (${byDefault(D.alerting.evidenceWindows)}).` }),
    ),
    pageTiers: Type.Optional(
      Type.Array(Id('Tier id (a key of `tiers`).'), { description: 'Tiers whose hard-down transactions page on-call; the others warn the NOC. The tier(s) with the highest objective by default.' }),
    ),
    recoveryWindow: Type.Optional(Duration(`A spreading page stays up while the backend's probes had a failure within this window, and resolves once they had none (${byDefault(D.alerting.recoveryWindow)}).`)),
    notReportingPeriods: Type.Optional(Type.Integer({ minimum: 2, maximum: 100, description: `Periods without a finished run after which a check counts as stopped (${byDefault(D.alerting.notReportingPeriods)}).` })),
    burnRate: Type.Optional(
      Type.Object(
        {
          minimumEvents: Type.Optional(Type.Integer({ minimum: 1, description: `Fewest real events in the long window for a burn-rate alert to fire (${byDefault(D.alerting.burnRate.minimumEvents)}): a quiet hour cannot page.` })),
          minimumFailures: Type.Optional(Type.Integer({ minimum: 1, description: `Fewest failed real events in the long window for a burn-rate alert to fire (${byDefault(D.alerting.burnRate.minimumFailures)}).` })),
        },
        { additionalProperties: false },
      ),
    ),
    trafficDrop: Type.Optional(
      Type.Object(
        {
          share: Type.Optional(
            Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: `A pair's real transactions in the last hour below this share of the same hour of the week over previous weeks warn the NOC (${byDefault(D.alerting.trafficDrop.share)}).` }),
          ),
          minimumExpected: Type.Optional(
            Type.Integer({ minimum: 1, description: `Fewest transactions expected in the hour for a drop to be judged (${byDefault(D.alerting.trafficDrop.minimumExpected)}): a quiet hour's shortfall is noise.` }),
          ),
          weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 8, description: `Previous weeks whose same hour make the expectation, as many as exist (${byDefault(D.alerting.trafficDrop.weeks)}).` })),
        },
        { additionalProperties: false, description: 'Silent failures: real transaction volume against the same hour of previous weeks (docs/alerting.md, ChannelHealthTrafficDrop).' },
      ),
    ),
    holidays: Type.Optional(
      Type.Array(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), {
        description: 'Dates (YYYY-MM-DD, business clock) unlike the weeks around them: traffic is not judged on them, and they are left out of the weeks a later day is compared with.',
      }),
    ),
    latency: Type.Optional(
      Type.Object(
        {
          window: Type.Optional(Duration(
              `Window of the p95 probe latency compared with the transaction's latencyThresholdMs (${byDefault(D.alerting.latency.window)}: a p95 of 60 runs moves with 3 slow ones).`,
            ),
          ),
          for: Type.Optional(Duration(`How long the p95 must stay above the threshold before the NOC is warned (${byDefault(D.alerting.latency.for)}).`)),
          minimumRuns: Type.Optional(Type.Integer({ minimum: 1, description: `Fewest probe runs in the window for a p95 to count (${byDefault(D.alerting.latency.minimumRuns)}: with fewer, a p95 is the slowest run, and one outlier of a healthy tail would warn).` })),
        },
        { additionalProperties: false },
      ),
    ),
    escalation: Type.Optional(
      Type.String({ minLength: 1, description: 'Whom on-call escalates to for alerts about the monitoring itself (scrape target down, a check not reporting) and for a channel or backend without its own `escalation`.' }),
    ),
    tlsExpiryWarningDays: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 365,
        description: `Days before the earliest certificate an https channel presents expires that the NOC is warned (ChannelHealthTlsCertExpiring; ${byDefault(D.alerting.tlsExpiryWarningDays)}).`,
      }),
    ),
    scrapeJob: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$', description: `Prometheus job name that scrapes channel-health (for the target-down alert); ${byDefault(D.alerting.scrapeJob)}.` })),
    runbookUrl: Type.Optional(Type.String({ minLength: 1, description: 'Absolute URL of docs/alerting.md as published; alerts link to its sections. <service.publicUrl>/docs/alerting.md by default.' })),
    routes: Type.Optional(
      Type.Object(
        {
          page: Severity('Receiver (a key of `receivers`) for severity page: on-call.'),
          warning: Severity('Receiver for severity warning: the NOC.'),
          ticket: Severity('Receiver for severity ticket: the weekly review.'),
          watchdog: Severity('Receiver of the always-firing Watchdog alert (a dead man\'s switch outside this stack).'),
        },
        { additionalProperties: false, description: `Which receiver gets each severity; ${byDefault(D.alerting.routes)}, where those receivers exist.` },
      ),
    ),
    alertmanager: Type.Optional(
      Type.Object(
        {
          groupWait: Type.Optional(Duration(`Alertmanager group_wait (${byDefault(D.alerting.alertmanager.groupWait)}).`)),
          groupInterval: Type.Optional(Duration(`Alertmanager group_interval (${byDefault(D.alerting.alertmanager.groupInterval)}).`)),
          repeatInterval: Type.Optional(Duration(`Alertmanager repeat_interval (${byDefault(D.alerting.alertmanager.repeatInterval)}).`)),
          secretsDir: Type.Optional(
            Type.String({ minLength: 1, description: `Folder where Alertmanager finds a file per secret named by an \`{ env: NAME }\` token reference (${byDefault(D.alerting.alertmanager.secretsDir)}).` }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'Alert rule and Alertmanager generation settings; see docs/alerting.md.' },
);

const IngestSchema = Type.Object(
  {
    token: Type.Optional(SecretRefSchema),
    allowedLocations: Type.Optional(
      Type.Array(Id('Location id'), { minItems: 1, description: 'Probing locations whose pushed results are accepted; any other location is refused (no new series). `service.location` alone by default.' }),
    ),
    maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: `Most results or events in one POST (${byDefault(D.ingest.maxBatch)}); a larger batch is refused whole with 400.` })),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 67108864, description: `Largest accepted request body in bytes (${byDefault(D.ingest.maxBodyBytes)}); a larger one is refused with 413.` })),
    stateDir: Type.Optional(
      Type.String({ minLength: 1, description: `Folder of the collector's durable state (accepted ids and counter values), relative to the config file; ${byDefault(D.ingest.stateDir)}.` }),
    ),
    dedupeWindow: Type.Optional(Duration(`How long an accepted result or event id is remembered (${byDefault(D.ingest.dedupeWindow)}); results older than this are refused, so none can be counted twice.`)),
  },
  {
    additionalProperties: false,
    description: 'Result and event ingest (POST /api/v1/results, POST /api/v1/events); the bearer token is `token`, without it ingest is closed. See docs/agents.md and docs/events.md.',
  },
);

const AgentSchema = Type.Object(
  {
    collectors: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Base URLs of the collectors every result is pushed to (each acknowledges separately); `--collector` overrides.' }),
    ),
    token: Type.Optional(SecretRefSchema),
    listen: Type.Optional(Type.String({ description: `HOST:PORT of the agent's own /metrics, /healthz and /readyz; ${byDefault(D.agent.listen)}.` })),
    spoolDir: Type.Optional(
      Type.String({ minLength: 1, description: `Folder of the spool where results wait until every collector acknowledged them, relative to the config file; ${byDefault(D.agent.spoolDir)}.` }),
    ),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: `Most results in one push (${byDefault(D.agent.batchSize)}); halved while a collector says the batch is too large.` })),
    maxBackoff: Type.Optional(Duration(`Longest wait between retries of a failed push (${byDefault(D.agent.maxBackoff)}); waits grow exponentially with jitter up to it.`)),
  },
  { additionalProperties: false, description: '`channel-health agent`: where it pushes results and how it spools them. See docs/agents.md.' },
);

const ReportScheduleSchema = Type.Object(
  {
    prometheus: Type.Optional(
      Type.String({ minLength: 1, description: 'Base URL of the Prometheus the weekly report is made from, e.g. http://127.0.0.1:9090. Without it `run` and `collector` make no report on schedule (`channel-health report` still works by hand).' }),
    ),
    schedule: Type.Optional(
      Type.String({
        minLength: 1,
        description: `Cron expression (5 fields, or 6 with seconds first) on the business clock (service.utcOffset) at which the report of the last complete ISO week is made (${byDefault(D.report.schedule)}: Monday 09:00). Plain numbers, ranges, lists and steps only.`,
      }),
    ),
    folder: Type.Optional(Type.String({ minLength: 1, description: `Folder the reports are written to and served from at /reports, relative to the config file; ${byDefault(D.report.folder)}.` })),
    retain: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Reports (weeks) kept in the folder; older ones are deleted after each new one (${byDefault(D.report.retain)}).` })),
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: `Tries of one scheduled report before it is given up until the next firing (${byDefault(D.report.attempts)}).` })),
    retryBackoff: Type.Optional(Duration(`Wait before the first retry of a failed report (${byDefault(D.report.retryBackoff)}); it doubles after each failed try.`)),
    timeout: Type.Optional(Duration(`Per Prometheus query of a scheduled report (${byDefault(D.report.timeout)}).`)),
  },
  { additionalProperties: false, description: 'The weekly report made by `run` and `collector` on a schedule, kept in a folder and served at /reports. See docs/report.md.' },
);

const JournalSchema = Type.Object(
  {
    path: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          `SQLite file of the probe journal, relative to the config file; ${byDefault(D.journal.path)}, or memory only when every money-moving check targets the embedded sandbox (whose balances die with the process).`,
      }),
    ),
    reconcileInterval: Type.Optional(Duration(`How often unfinished journal entries are reconciled while running (${byDefault(D.journal.reconcileInterval)}); they are also reconciled at start.`)),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Failed compensation attempts after which an entry is flagged for a human (${byDefault(D.journal.maxAttempts)}); it is still retried.` })),
  },
  { additionalProperties: false, description: 'The probe journal of money-moving runs (intended → done → compensated); see docs/safety.md.' },
);

const BreakerSchema = Type.Object(
  {
    openAfter: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: `Failed runs in a row (reason other than internal) that open a check's circuit breaker (${byDefault(D.breaker.openAfter)}).` }),
    ),
    maxBackoff: Type.Optional(
      Type.Integer({
        minimum: 2,
        maximum: 1024,
        description: `While open, one scheduled firing in k runs as a trial; k starts at 2 and doubles after each failed trial up to this (${byDefault(D.breaker.maxBackoff)}).`,
      }),
    ),
  },
  { additionalProperties: false, description: 'Per-check circuit breaker: a hard-down channel is probed at a backed-off cadence; see docs/safety.md.' },
);

const MaintenanceWindowSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'What the planned work is (shown on dashboards and in the weekly report).' })),
    channels: Type.Optional(Type.Array(Id('Channel id (a key of `channels`).'), { description: 'Channels the work takes down: every alert of these channels is muted.' })),
    backends: Type.Optional(
      Type.Array(Id('Backend id (a key of `backends`).'), { description: 'Backends the work takes down: every alert of a transaction that uses one, on every channel, is muted.' }),
    ),
    weekdays: Type.Optional(
      Type.Array(Type.String(), { description: 'Recurring: the business-clock weekdays (sun, mon, tue, wed, thu, fri, sat) on which the window starts; every day when not set.' }),
    ),
    start: Type.Optional(Type.String({ description: 'Recurring: start, HH:MM on the business clock (service.utcOffset).' })),
    end: Type.Optional(Type.String({ description: 'Recurring: end, HH:MM on the business clock; an end before the start is on the next day.' })),
    from: Type.Optional(
      Type.String({ description: 'One-off: start, YYYY-MM-DDTHH:MM on the business clock, or with an offset (2026-12-01T01:00+08:00, ...Z).' }),
    ),
    to: Type.Optional(Type.String({ description: 'One-off: end, in the same form as from.' })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'Config format version.' }),
    service: Type.Object(
      {
        listen: Type.Optional(Type.String({ description: `HOST:PORT the collector listens on; ${byDefault(D.listen)}.` })),
        location: Type.Optional(Id(`Where this process probes from; the \`location\` label (${byDefault(D.location)}).`)),
        adminToken: Type.Optional(SecretRefSchema),
        sandbox: Type.Optional(Type.Boolean({ description: `Serve the built-in sandbox under /sandbox/ on the service port (${byDefault(D.sandbox)}).` })),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: `Most checks running at once in this process (${byDefault(D.concurrency)}).` })),
        resultsRetained: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000000, description: `Recent results kept in memory for the API (${byDefault(D.resultsRetained)}).` })),
        scrape: Type.Optional(
          Type.Object(
            {
              concurrent: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: `Scrapes of /metrics answered at once; they share one rendering (${byDefault(D.scrape.concurrent)}).` })),
              queued: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, description: `Scrapes that may wait for a place; one more is refused at once with 503 CH_SCRAPE_BUSY and Retry-After (${byDefault(D.scrape.queued)}).` })),
              queueTimeout: Type.Optional(Duration(`Longest wait for a place before a 503; at most 60s, and best below the scrapers' own scrape_timeout (${byDefault(D.scrape.queueTimeout)}).`)),
            },
            { additionalProperties: false, description: 'How many /metrics scrapes this process serves at once and how many wait (docs/scraping.md). Refusals are counted (docs/metrics.md, "The /metrics endpoint"); the probes never wait for scrapers.' },
          ),
        ),
        publicUrl: Type.Optional(Type.String({ description: `Base URL of Grafana/runbooks used in alert links (${byDefault(D.publicUrl)}).` })),
        alertmanagerUrl: Type.Optional(
          Type.String({ minLength: 1, description: 'Base URL of an Alertmanager (http or https) whose active alerts the status page at / shows and that `channel-health silence` talks to; none by default.' }),
        ),
        utcOffset: Type.Optional(
          Type.String({
            description:
              'The business clock as an offset from UTC, e.g. +08:00 (Z by default): the weekly report\'s weeks, days and peak hours and the capacity dashboard\'s hour of day are read on it. `report --utc-offset` overrides it for one report.',
          }),
        ),
        journal: Type.Optional(JournalSchema),
        breaker: Type.Optional(BreakerSchema),
      },
      { additionalProperties: false, description: 'How this process listens, where it probes from, and its limits.' },
    ),
    tiers: Type.Record(Type.String(), TierSchema, { description: 'Objectives by tier, e.g. core 0.9998, noncore 0.94.' }),
    backends: Type.Record(Type.String(), BackendSchema, { description: 'Shared back-end systems (billing, payment, crm).' }),
    channels: Type.Record(Type.String(), ChannelSchema, { description: 'Electronic channels (web, app, sms, ivr, kiosk).' }),
    transactions: Type.Record(Type.String(), TransactionSchema, { description: 'Customer transactions with their tier and backends.' }),
    flows: Type.Optional(Type.Record(Type.String(), FlowSchema, { description: 'Reusable step sequences; a check uses the flow named like its transaction by default.' })),
    accounts: Type.Optional(Type.Record(Type.String(), Type.Array(AccountSchema, { minItems: 1 }), { description: 'Test-account pools.' })),
    checks: Type.Array(CheckSchema, { description: 'Checks: single (channel + transaction) or matrix (channels × transactions).' }),
    checkDefaults: Type.Optional(
      Type.Object(ScheduleFields, { additionalProperties: false, description: 'Schedule, timeout, account pool and metrics detail for checks that do not set their own.' }),
    ),
    alerting: Type.Optional(AlertingSchema),
    maintenance: Type.Optional(
      Type.Record(Type.String(), MaintenanceWindowSchema, {
        description:
          'Planned work windows by id, recurring (start, end, weekdays on the business clock) or one-off (from, to), each scoped to channels and/or backends. Alertmanager mutes the alerts they cover; a gauge says which are on (docs/metrics.md). See docs/alerting.md.',
      }),
    ),
    receivers: Type.Optional(Type.Record(Type.String(), ReceiverSchema, { description: 'Alert receivers by name.' })),
    ingest: Type.Optional(IngestSchema),
    agent: Type.Optional(AgentSchema),
    report: Type.Optional(ReportScheduleSchema),
  },
  { additionalProperties: false },
);

export type RawConfig = Static<typeof ConfigSchema>;
export type RawAlerting = Static<typeof AlertingSchema>;
export type RawStep = Static<typeof StepSchema>;
export type RawCheck = Static<typeof CheckSchema>;
export type SecretRef = Static<typeof SecretRefSchema>;
export type JsonAssertion = Static<typeof JsonAssertionSchema>;
