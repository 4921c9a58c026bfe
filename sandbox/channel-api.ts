// The simulated channel APIs, one set per configured channel under /channels/:channel. Each
// endpoint belongs to exactly one transaction (login to none), which is how a fault is scoped
// to it; every answer is the business envelope of envelope.ts.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ADDONS, billFor, fenToYuan, findAddon, findPlan, isFutureMonth, PLANS, pointsFor } from './catalog.js';
import { failure, success } from './envelope.js';
import { applyFaultEffect } from './fault-effects.js';
import { RequestInvalid } from './request-validation.js';
import type { SandboxState } from './state.js';

export const TOPUP_LIMITS = Object.freeze({ maxAmountYuan: 500 });

/** Which transaction each endpoint serves; the generic /tx/:transaction serves the one it names. */
interface EndpointConfig {
  transaction: string | null;
  /** The generic endpoint takes its transaction from the path. */
  transactionFromPath?: true;
  /** Login is the one endpoint reachable without a token. */
  public?: true;
}

const ORDER_ID = Type.String({ pattern: '^[A-Za-z0-9._:~-]{1,64}$', formatHint: 'must be 1 to 64 letters, digits or . _ : ~ -' });
const MONTH = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', formatHint: 'must be a month as YYYY-MM' });

const LoginBody = Type.Object(
  { msisdn: Type.String({ pattern: '^[0-9]{5,15}$', formatHint: 'must be 5 to 15 digits' }), pin: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const TopupBody = Type.Object({ amount: Type.Number({ exclusiveMinimum: 0, maximum: TOPUP_LIMITS.maxAmountYuan }), orderId: ORDER_ID }, { additionalProperties: false });
const PlanBody = Type.Object({ planId: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false });
const AddonBody = Type.Object({ addonId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const ProfileBody = Type.Object(
  { contactEmail: Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$', formatHint: 'must be an email address' }) },
  { additionalProperties: false },
);
// The generic endpoint accepts whatever a user's own flow sends; it is not looked at.
const AnyBody = Type.Union([Type.Object({}), Type.Null()]);

const OrderParams = Type.Object({ orderId: ORDER_ID });
const MonthParams = Type.Object({ month: MONTH });
const SubscriptionParams = Type.Object({ subscriptionId: Type.String({ minLength: 1, maxLength: 64 }) });
const TxParams = Type.Object({ transaction: Type.String({ minLength: 1, maxLength: 64 }) });

const tx = (transaction: string): { config: EndpointConfig } => ({ config: { transaction } });

export const channelApi: FastifyPluginAsync<{ state: SandboxState }> = async (plugin, { state }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts, sessions, faults, held, config } = state;
  const channelIds = new Set(config.channels.map((c) => c.id));
  const transactionIds = new Set(config.transactions.map((t) => t.id));
  const subscriberOf = new WeakMap<FastifyRequest, string>();
  const who = (request: FastifyRequest): string => subscriberOf.get(request) as string;

  // Order matters: an unknown channel is not a channel that can fail; faults strike before
  // authentication, as a broken channel or backend fails whatever the caller holds.
  app.addHook('onRequest', async (request, reply) => {
    const { channel, transaction: pathTransaction } = request.params as { channel: string; transaction?: string };
    if (!channelIds.has(channel)) {
      return reply.code(404).send(failure('4040', `unknown channel "${channel}" (known: ${[...channelIds].join(', ')})`));
    }
    const endpoint = request.routeOptions.config as Partial<EndpointConfig>;
    const transaction = endpoint.transactionFromPath ? (pathTransaction ?? '') : (endpoint.transaction ?? null);
    if (endpoint.transactionFromPath && !transactionIds.has(transaction as string)) {
      return reply.code(404).send(failure('4040', `unknown transaction "${transaction}" (known: ${[...transactionIds].join(', ')})`));
    }
    if (!(await applyFaultEffect(faults.effect(channel, transaction, state.random), request, reply, held))) return reply;
    if (endpoint.public) return;
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const msisdn = token === undefined ? undefined : sessions.resolve(token, channel);
    if (msisdn === undefined) return reply.send(failure('4010', token === undefined ? 'send Authorization: Bearer <token> from /login' : 'log in again'));
    subscriberOf.set(request, msisdn);
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
    if (err instanceof RequestInvalid || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
      return reply.code(200).send(failure('4001', err.message));
    }
    request.log.error({ err }, 'sandbox channel endpoint failed');
    return reply.code(500).send(failure('5999'));
  });

  app.post('/login', { schema: { body: LoginBody }, config: { transaction: null, public: true } }, async (request) => {
    const { channel } = request.params as { channel: string };
    const { msisdn, pin } = request.body;
    if (!accounts.checkPin(msisdn, pin)) return failure('4011');
    return success(sessions.issue(msisdn, channel));
  });

  app.get('/balance', tx('balance_query'), async (request) => {
    const msisdn = who(request);
    return success({ msisdn, balance: fenToYuan(accounts.balanceFen(msisdn)), currency: 'CNY' });
  });

  app.post('/topup', { schema: { body: TopupBody }, ...tx('topup') }, async (request) => {
    const { amount, orderId } = request.body;
    const amountFen = Math.round(amount * 100);
    if (Math.abs(amount * 100 - amountFen) > 1e-6) return failure('4001', 'amount: at most two decimal places (fen)');
    const outcome = accounts.topup(who(request), orderId, amountFen);
    if (outcome.kind === 'conflict') return failure('4090', `order ${orderId} was for ${fenToYuan(outcome.order.amountFen)}`);
    return success({ orderId, status: outcome.order.status, balance: fenToYuan(outcome.balanceFen) });
  });

  app.get('/topup/:orderId', { schema: { params: OrderParams }, ...tx('topup') }, async (request) => {
    const order = accounts.order(who(request), request.params.orderId);
    if (!order) return failure('4040', `no top-up order "${request.params.orderId}"`);
    return success({ orderId: order.orderId, status: order.status, amount: fenToYuan(order.amountFen) });
  });

  app.post('/topup/:orderId/refund', { schema: { params: OrderParams }, ...tx('topup') }, async (request) => {
    const refunded = accounts.refund(who(request), request.params.orderId);
    if (!refunded) return failure('4040', `no top-up order "${request.params.orderId}"`);
    return success({ orderId: refunded.order.orderId, status: refunded.order.status, balance: fenToYuan(refunded.balanceFen) });
  });

  app.get('/bills/:month', { schema: { params: MonthParams }, ...tx('bill_query') }, async (request) => {
    const { month } = request.params;
    if (isFutureMonth(month, state.now())) return failure('4040', `no bill for ${month} yet`);
    const bill = billFor(who(request), month);
    return success({ month, total: fenToYuan(bill.totalFen), currency: 'CNY' });
  });

  app.get('/bills/:month/items', { schema: { params: MonthParams }, ...tx('bill_query') }, async (request) => {
    const { month } = request.params;
    if (isFutureMonth(month, state.now())) return failure('4040', `no bill for ${month} yet`);
    return success({ month, items: billFor(who(request), month).items });
  });

  app.get('/plans', tx('plan_change'), async (request) => {
    const current = accounts.planId(who(request));
    return success({ offers: PLANS.filter((p) => p.planId !== current).map((p) => ({ planId: p.planId, name: p.name, monthlyFee: fenToYuan(p.monthlyFeeFen) })) });
  });

  app.get('/plan', tx('plan_change'), async (request) => {
    const plan = findPlan(accounts.planId(who(request)));
    return success({ planId: plan?.planId, name: plan?.name });
  });

  app.post('/plan', { schema: { body: PlanBody }, ...tx('plan_change') }, async (request) => {
    const { planId } = request.body;
    if (!findPlan(planId)) return failure('4001', `planId: unknown plan "${planId}" (known: ${PLANS.map((p) => p.planId).join(', ')})`);
    return success({ planId, previousPlanId: accounts.changePlan(who(request), planId) });
  });

  app.post('/addons', { schema: { body: AddonBody }, ...tx('data_addon') }, async (request) => {
    const { addonId } = request.body;
    if (!findAddon(addonId)) return failure('4001', `addonId: unknown add-on "${addonId}" (known: ${ADDONS.map((a) => a.addonId).join(', ')})`);
    const subscription = accounts.subscribe(who(request), addonId, state.now());
    if (subscription === 'limit') return failure('4001', 'too many active add-ons; remove some first');
    return success({ subscriptionId: subscription.subscriptionId, addonId });
  });

  app.get('/addons', tx('data_addon'), async (request) =>
    success({
      subscriptions: accounts.subscriptions(who(request)).map((s) => ({
        subscriptionId: s.subscriptionId,
        addonId: s.addonId,
        name: findAddon(s.addonId)?.name,
        activatedAt: new Date(s.activatedAtMs).toISOString(),
      })),
    }),
  );

  app.delete('/addons/:subscriptionId', { schema: { params: SubscriptionParams }, ...tx('data_addon') }, async (request) => {
    const { subscriptionId } = request.params;
    if (!accounts.unsubscribe(who(request), subscriptionId)) return failure('4040', `no add-on subscription "${subscriptionId}"`);
    return success({ subscriptionId, removed: true });
  });

  app.get('/profile', tx('profile_update'), async (request) => {
    const msisdn = who(request);
    return success({ msisdn, contactEmail: accounts.contactEmail(msisdn) });
  });

  app.put('/profile', { schema: { body: ProfileBody }, ...tx('profile_update') }, async (request) => {
    const { contactEmail } = request.body;
    return success({ contactEmail, previousContactEmail: accounts.setContactEmail(who(request), contactEmail) });
  });

  app.get('/points', tx('other_query'), async (request) => {
    const msisdn = who(request);
    return success({ msisdn, points: pointsFor(msisdn) });
  });

  app.post('/tx/:transaction', { schema: { params: TxParams, body: AnyBody }, config: { transaction: null, transactionFromPath: true } }, async (request) =>
    success({ transaction: request.params.transaction, accepted: true }),
  );
};
