import type { FastifyRequest } from 'fastify';
import { forbidden, keyExpired, keyRevoked, unauthorized } from '../errors.ts';
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
 * onRequest hook: resolves the Bearer key before the body is read. Missing or unknown key: 401
 * `unauthorized`; revoked: 401 `key_revoked`; expired: 401 `key_expired`; a key whose role the
 * route does not allow: 403 `forbidden`.
 */
export function authenticate(keys: KeyCache) {
  return async (req: FastifyRequest): Promise<void> => {
    const roles = req.routeOptions.config.roles;
    if (!roles) return;
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized();
    const checked = await keys.check(match[1]!);
    if ('refused' in checked) {
      if (checked.refused === 'revoked') throw keyRevoked();
      if (checked.refused === 'expired') throw keyExpired();
      throw unauthorized('The key is unknown; check it for typos or ask an admin for a new one.');
    }
    const { principal } = checked;
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      const needed = [...new Set([...roles, 'admin' as const])].map(withArticle).join(' or ');
      throw forbidden(
        `${capitalized(withArticle(principal.role))} key may not use this route; it needs ${needed} key.`,
      );
    }
    req.principal = principal;
  };
}

/** `an ingest`, `a read`, `an admin`. */
const withArticle = (role: KeyRole) => `${role === 'read' ? 'a' : 'an'} ${role}`;
const capitalized = (s: string) => s[0]!.toUpperCase() + s.slice(1);
