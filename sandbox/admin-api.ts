// The sandbox's own controls: inject and clear faults, and look at the test accounts. Answers are
// plain JSON (not the channel envelope) and errors carry CH_SANDBOX_ codes from errors.ts.
// Routes that change faults are marked ADMIN_ONLY: `run` with service.adminToken refuses them
// without it; the standalone sandbox has no token and leaves them open.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ADMIN_ONLY } from '../config/admin-routes.js';
import { SandboxError } from './errors.js';
import { FAULT_DEFAULTS, FAULT_MODES, faultView, unusedFields, type FaultRequest } from './faults.js';
import { RequestInvalid } from './request-validation.js';
import type { SandboxState } from './state.js';

const Name = Type.String({ minLength: 1, maxLength: 64 });

export const FaultBody = Type.Object(
  {
    scope: Type.Object(
      { backend: Type.Optional(Name), channel: Type.Optional(Name), transaction: Type.Optional(Name) },
      { additionalProperties: false, description: '{backend} | {channel} | {channel, transaction}' },
    ),
    mode: Type.Enum([...FAULT_MODES]),
    rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of matching requests hit, 0..1.' })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: FAULT_DEFAULTS.maxLatencyMs, description: 'Added delay of a latency fault (1 or more there); other modes ignore it.' })),
    durationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: FAULT_DEFAULTS.maxDurationSeconds })),
    httpStatus: Type.Optional(Type.Integer({ minimum: 500, maximum: 599 })),
    code: Type.Optional(Type.String({ pattern: '^[0-9]{4}$', formatHint: 'must be a four-digit business code such as 5101' })),
  },
  { additionalProperties: false },
);

const FaultIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const adminApi: FastifyPluginAsync<{ state: SandboxState }> = async (plugin, { state }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { faults, accounts } = state;

  app.setErrorHandler(async (err: Error & { statusCode?: number }, _request, reply) => {
    if (err instanceof SandboxError) return reply.code(err.statusCode).send(err.toBody());
    if (err instanceof RequestInvalid) return reply.code(400).send(new SandboxError('CH_SANDBOX_FAULT_INVALID', err.problems).toBody());
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(400).send(new SandboxError('CH_SANDBOX_FAULT_INVALID', [{ path: '(body)', message: err.message }]).toBody());
    }
    throw err;
  });

  app.post('/faults', { schema: { body: FaultBody }, config: ADMIN_ONLY }, async (request, reply) => {
    const body = request.body as FaultRequest;
    const fault = faults.add(body);
    const ignored = unusedFields(body);
    request.log.info({ fault: fault.id, scope: fault.scope, mode: fault.mode, ...(ignored.length > 0 ? { ignored } : {}) }, 'sandbox fault injected');
    // Fields the mode does not use were accepted and dropped; saying so beats a silent surprise.
    return reply.code(201).send({ ...faultView(fault), ...(ignored.length > 0 ? { ignored } : {}) });
  });

  app.get('/faults', async () => faults.active().map(faultView));

  app.delete('/faults', { config: ADMIN_ONLY }, async (request) => {
    const removed = faults.clear();
    request.log.info({ removed }, 'sandbox faults cleared');
    return { removed };
  });

  app.delete('/faults/:id', { schema: { params: FaultIdParams }, config: ADMIN_ONLY }, async (request) => {
    const { id } = request.params;
    if (!faults.remove(id)) throw new SandboxError('CH_SANDBOX_FAULT_NOT_FOUND', [{ path: 'id', message: `no active fault "${id}"` }]);
    return { id, removed: true };
  });

  app.get('/accounts', async () => accounts.snapshot());
};
