// Bearer authentication. Routes declare who may call them with `requireUser(roles)` or
// `requireAgent`; the principal is attached to the request for the service call.
import type { FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import type { Role } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { AppError, forbidden, unauthorized } from '../../lib/errors.js';
import type { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { CacheEntry, InvalidatedCache } from '../../lib/cache-invalidation.js';
import { sameSecret } from '../../lib/secrets.js';
import { authenticateAgent, authenticateApiKey, cachedPrincipal, type AgentTokenCache, type ApiKeyCache } from '../../services/auth/authenticate.js';
import type { AgentPrincipal, Principal, UserPrincipal } from '../../services/auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearerToken(authorization: string): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m?.[1]) throw unauthorized('auth.malformed_header', 'Use "Authorization: Bearer <key>".');
  return m[1];
}

export const ALL_ROLES: Role[] = ['ADMIN', 'CERTIFIER', 'VENDOR'];

/**
 * The credential last verified on each keep-alive connection, with its cache entry. The next request
 * on that connection presenting the very same Authorization header is answered without parsing and
 * hashing the key again (with the cache lookup, a tenth of a cached read's CPU: docs/PERFORMANCE.md).
 * The entry is asked `isCurrent` every time, so a revocation, which drops it from the cache, applies
 * from the next request on, as before. Kept by socket, so it goes away with the connection.
 */
class ConnectionCredentials<P> {
  private readonly bySocket = new WeakMap<object, { authorization: string; entry: CacheEntry<P> }>();

  constructor(private readonly cache: InvalidatedCache<P>) {}

  recall(request: FastifyRequest, authorization: string): P | undefined {
    const known = this.bySocket.get(request.raw.socket);
    return known && sameSecret(known.authorization, authorization) && this.cache.isCurrent(known.entry) ? known.entry.value : undefined;
  }

  remember(request: FastifyRequest, authorization: string, entry: CacheEntry<P>): void {
    this.bySocket.set(request.raw.socket, { authorization, entry });
  }
}

/** How one kind of credential (API key, agent token) is checked. */
interface CredentialCheck<P> {
  cache: InvalidatedCache<P> | undefined;
  connections: ConnectionCredentials<P> | undefined;
  verify(token: string): Promise<P>;
}

/** `caches`: valid API keys and agent tokens kept in memory (see ApiKeyCache); without them every request reads Postgres. */
/** What a guard asks of the caller; the route-contract plugin reads it to declare a route's security and its 401/403/429 answers. */
export type GuardDescription = { kind: 'user'; roles: readonly Role[] } | { kind: 'optional-user' } | { kind: 'agent' };
const guardDescriptions = new WeakMap<object, GuardDescription>();
const describeGuard = <G extends object>(description: GuardDescription, guard: G): G => {
  guardDescriptions.set(guard, description);
  return guard;
};
/** The guard among a route's preHandlers, if any. */
export function describedGuard(preHandlers: unknown): GuardDescription | undefined {
  for (const handler of [preHandlers].flat()) {
    const description = typeof handler === 'function' ? guardDescriptions.get(handler) : undefined;
    if (description) return description;
  }
  return undefined;
}

export function authGuards(db: Db, limiter: AuthFailureLimiter, caches: { apiKeys?: ApiKeyCache | undefined; agentTokens?: AgentTokenCache | undefined } = {}) {
  const credentials = <P>(cache: InvalidatedCache<P> | undefined, verify: (token: string) => Promise<P>): CredentialCheck<P> => ({
    cache,
    connections: cache && new ConnectionCredentials(cache),
    verify,
  });
  const apiKeys = credentials(caches.apiKeys, (token) => authenticateApiKey(db, token, caches.apiKeys));
  const agentTokens = credentials(caches.agentTokens, (token) => authenticateAgent(db, token, caches.agentTokens));

  /** Authenticates a presented credential against the database; failures count against the caller's IP. */
  const verified = async <P>(request: FastifyRequest, verify: () => Promise<P>): Promise<P> => {
    try {
      return await verify();
    } catch (err) {
      if (err instanceof AppError && err.status === 401) limiter.recordFailure(request.ip);
      throw err;
    }
  };

  /**
   * The principal behind the request's bearer credential, or null when it presents none. A credential
   * known to the connection or the cache answers without a promise (every request); the rest reads
   * the database. An address over its failure budget is refused either way.
   */
  const principalOf = <P>(request: FastifyRequest, check: CredentialCheck<P>): P | Promise<P> | null => {
    const authorization = request.headers.authorization;
    if (!authorization) return null;
    const known = check.connections?.recall(request, authorization);
    if (known) {
      limiter.check(request.ip);
      return known;
    }
    const token = bearerToken(authorization);
    limiter.check(request.ip);
    const entry = cachedPrincipal(token, check.cache);
    if (!entry) return verified(request, () => check.verify(token));
    check.connections?.remember(request, authorization, entry);
    return entry.value;
  };

  const requireUser = (roles: Role[] = ALL_ROLES): preHandlerAsyncHookHandler =>
    describeGuard<preHandlerAsyncHookHandler>({ kind: 'user', roles }, async (request) => {
      const principal = await principalOf(request, apiKeys);
      if (!principal) throw unauthorized('auth.missing_credentials', 'This endpoint needs an API key: "Authorization: Bearer <key>".');
      if (!roles.includes(principal.role)) {
        throw forbidden('auth.forbidden_role', `This endpoint needs one of the roles: ${roles.join(', ').toLowerCase()}.`);
      }
      request.principal = principal;
    });

  /**
   * For public endpoints that show more to a signed-in user. Callback style, so a known key (or no key)
   * passes without a promise: these are the public reads a dashboard makes most (docs/PERFORMANCE.md).
   */
  const optionalUser: preHandlerHookHandler = describeGuard<preHandlerHookHandler>({ kind: 'optional-user' }, (request, _reply, done) => {
    let principal: UserPrincipal | Promise<UserPrincipal> | null;
    try {
      principal = principalOf(request, apiKeys);
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
  });

  const requireAgent: preHandlerAsyncHookHandler = describeGuard<preHandlerAsyncHookHandler>({ kind: 'agent' }, async (request) => {
    const principal = await principalOf(request, agentTokens);
    if (!principal) throw unauthorized('auth.missing_credentials', 'This endpoint needs an agent token.');
    request.principal = principal;
  });

  return { requireUser, optionalUser, requireAgent };
}

export type AuthGuards = ReturnType<typeof authGuards>;

export function userOf(request: FastifyRequest): UserPrincipal {
  if (request.principal?.kind !== 'user') throw unauthorized('auth.missing_credentials', 'This endpoint needs an API key.');
  return request.principal;
}

/** The signed-in user behind an optionalUser route, or null for an anonymous caller. */
export function optionalUserOf(request: FastifyRequest): UserPrincipal | null {
  return request.principal?.kind === 'user' ? request.principal : null;
}

export function agentOf(request: FastifyRequest): AgentPrincipal {
  if (request.principal?.kind !== 'agent') throw unauthorized('auth.missing_credentials', 'This endpoint needs an agent token.');
  return request.principal;
}
