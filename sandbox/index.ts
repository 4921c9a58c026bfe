// The sandbox folder's public surface.
export { buildSandboxApp, sandboxPlugin, SANDBOX_PREFIX, type SandboxOptions } from './app.js';
export { BUSINESS_CODES, type BusinessCode } from './envelope.js';
export { SandboxError, SandboxErrorCodes, type SandboxErrorCode } from './errors.js';
export { FAULT_DEFAULTS, type FaultMode, type FaultScope, type FaultView } from './faults.js';
