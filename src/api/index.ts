// Public surface of the HTTP API: the app factory, its dependencies, API keys (SQLite and
// PostgreSQL stores) and the problem format.

export { buildApp, LOG_REDACTIONS } from './app.js';
export type { ApiLimits, AppDeps } from './deps.js';
export { isScope, SCOPES, SqliteApiKeyStore } from './auth-store.js';
export type { ApiKeyRecord, ApiKeyStore, CreateApiKeyOptions, CreatedApiKey, Principal, PrincipalKind, Scope } from './auth-store.js';
export { PostgresApiKeyStore } from './postgres-auth-store.js';
export { httpStatusOf, toProblem } from './error-handler.js';
export type { Problem } from './error-handler.js';
export { createMetrics } from './plugins/metrics.js';
export type { ServiceMetrics } from './plugins/metrics.js';
