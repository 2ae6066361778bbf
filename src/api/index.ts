// Public surface of the HTTP API: the app factory, its dependencies, API keys and the problem
// format.

export { buildApp, LOG_REDACTIONS } from './app.js';
export type { ApiLimits, AppDeps } from './deps.js';
export { ApiKeyStore, isScope, SCOPES } from './auth-store.js';
export type { ApiKeyRecord, CreateApiKeyOptions, CreatedApiKey, Principal, PrincipalKind, Scope } from './auth-store.js';
export { httpStatusOf, toProblem } from './error-handler.js';
export type { Problem } from './error-handler.js';
export { createMetrics } from './plugins/metrics.js';
export type { ServiceMetrics } from './plugins/metrics.js';
