import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.ts';
import type { KeyCache, Principal } from './key-cache.ts';
import type { KeyRole } from './keys.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on this route; `admin` is always allowed. Omitted: the route is public. */
    roles?: KeyRole[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * onRequest hook: resolves the Bearer key before the body is read. Missing or unknown key: 401;
 * a key whose role the route does not allow: 403.
 */
export function authenticate(keys: KeyCache) {
  return async (req: FastifyRequest): Promise<void> => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized();
    const principal = await keys.lookup(match[1]!);
    if (!principal) throw unauthorized('The key is unknown or revoked; ask an admin for a new one.');
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw forbidden(
        `A ${principal.role} key may not use this route; it needs a ${roles.join(' or ')} key.`,
      );
    }
    req.principal = principal;
  };
}
