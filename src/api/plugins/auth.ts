// Bearer API keys. A request without Authorization is anonymous (fine for the public routes); a
// key that does not authenticate is refused at once. Routes state what they need with
// `requireScope` (dossier systems) or `requireStaff` (staff accounts).

import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { MapsignError } from '../../errors.js';
import type { ApiKeyStore, Principal, Scope } from '../auth-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function installAuth(app: FastifyInstance, keys: ApiKeyStore): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const match = BEARER.exec(header);
    const record = match ? await keys.authenticate(match[1]!) : null;
    if (!record) throw new MapsignError('AUTH_REQUIRED', 'the API key is malformed, unknown or revoked');
    request.principal = { id: record.id, name: record.name, kind: record.kind, scopes: record.scopes, roles: record.roles, hasSigningKey: record.hasSigningKey };
    request.log.info({ principal: record.name }, 'authenticated');
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new MapsignError('AUTH_REQUIRED', 'this route needs an API key: Authorization: Bearer <key>');
  return request.principal;
}

/** A dossier system's key with `scope`, or a staff account when `allowStaff`. */
export function requireScope(scope: Scope, options: { allowStaff?: boolean } = {}): preHandlerAsyncHookHandler {
  return async (request) => {
    const principal = principalOf(request);
    if (principal.kind === 'staff' && options.allowStaff) return;
    if (!principal.scopes.includes(scope)) {
      throw new MapsignError('AUTH_FORBIDDEN', `this key (${principal.name}) lacks the scope ${scope}`, { details: { scope } });
    }
  };
}

export const requireStaff: preHandlerAsyncHookHandler = async (request) => {
  const principal = principalOf(request);
  if (principal.kind !== 'staff') throw new MapsignError('AUTH_FORBIDDEN', `this route is for staff accounts; ${principal.name} is a dossier system's key`);
};
