// Bearer authentication. Routes declare who may call them with `requireUser(roles)` or
// `requireAgent`; the principal is attached to the request for the service call.
import type { FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import type { Role } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { AppError, forbidden, unauthorized } from '../../lib/errors.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { InvalidatedCache } from '../../lib/cache-invalidation.js';
import { authenticateAgent, authenticateApiKey, cachedPrincipal, type AgentTokenCache, type ApiKeyCache } from '../../services/auth/authenticate.js';
import type { AgentPrincipal, Principal, UserPrincipal } from '../../services/auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthorized('auth.malformed_header', 'Use "Authorization: Bearer <key>".');
  return m[1];
}

export const ALL_ROLES: Role[] = ['ADMIN', 'CERTIFIER', 'VENDOR'];

/** `caches`: valid API keys and agent tokens kept in memory (see ApiKeyCache); without them every request reads Postgres. */
export function authGuards(db: Db, limiter: AuthFailureLimiter, caches: { apiKeys?: ApiKeyCache | undefined; agentTokens?: AgentTokenCache | undefined } = {}) {
  /** Authenticates a presented credential; failures count against the caller's IP. */
  const verified = async <T>(request: FastifyRequest, check: () => Promise<T>): Promise<T> => {
    limiter.check(request.ip);
    try {
      return await check();
    } catch (err) {
      if (err instanceof AppError && err.status === 401) limiter.recordFailure(request.ip);
      throw err;
    }
  };

  /** A cached credential answers without a promise chain (every request); the rest goes to verified(). */
  const authenticated = <P>(request: FastifyRequest, token: string, cache: InvalidatedCache<P> | undefined, check: () => Promise<P>): P | Promise<P> => {
    limiter.check(request.ip);
    return cachedPrincipal(token, cache) ?? verified(request, check);
  };

  const requireUser =
    (roles: Role[] = ALL_ROLES): preHandlerAsyncHookHandler =>
    async (request) => {
      const token = bearerToken(request);
      if (!token) throw unauthorized('auth.missing_credentials', 'This endpoint needs an API key: "Authorization: Bearer <key>".');
      const principal = await authenticated(request, token, caches.apiKeys, () => authenticateApiKey(db, token, caches.apiKeys));
      if (!roles.includes(principal.role)) {
        throw forbidden('auth.forbidden_role', `This endpoint needs one of the roles: ${roles.join(', ').toLowerCase()}.`);
      }
      request.principal = principal;
    };

  /**
   * For public endpoints that show more to a signed-in user. Callback style, so a cached key (or no key)
   * passes without a promise: these are the public reads a dashboard makes most (docs/PERFORMANCE.md).
   */
  const optionalUser: preHandlerHookHandler = (request, _reply, done) => {
    let principal: UserPrincipal | Promise<UserPrincipal> | null;
    try {
      const token = bearerToken(request);
      principal = token ? authenticated(request, token, caches.apiKeys, () => authenticateApiKey(db, token, caches.apiKeys)) : null;
    } catch (err) {
      return done(err as Error);
    }
    if (!(principal instanceof Promise)) {
      request.principal = principal;
      return done();
    }
    principal.then(
      (p) => {
        request.principal = p;
        done();
      },
      (err: Error) => done(err),
    );
  };

  const requireAgent: preHandlerAsyncHookHandler = async (request) => {
    const token = bearerToken(request);
    if (!token) throw unauthorized('auth.missing_credentials', 'This endpoint needs an agent token.');
    request.principal = await authenticated(request, token, caches.agentTokens, () => authenticateAgent(db, token, caches.agentTokens));
  };

  return { requireUser, optionalUser, requireAgent };
}

export type AuthGuards = ReturnType<typeof authGuards>;

export function userOf(request: FastifyRequest): UserPrincipal {
  if (request.principal?.kind !== 'user') throw unauthorized('auth.missing_credentials', 'This endpoint needs an API key.');
  return request.principal;
}

export function agentOf(request: FastifyRequest): AgentPrincipal {
  if (request.principal?.kind !== 'agent') throw unauthorized('auth.missing_credentials', 'This endpoint needs an agent token.');
  return request.principal;
}
