import type { Db } from '../../lib/database.js';
import { credentialMatches, credentialPrefix, hashCredential } from '../../lib/secrets.js';
import { unauthorized } from '../../lib/errors.js';
import { InvalidatedCache, type CacheEntry, type CacheInvalidation } from '../../lib/cache-invalidation.js';
import type { AgentPrincipal, UserPrincipal } from './principal.js';

const invalid = () => unauthorized('auth.invalid_credentials', 'The API key is not valid.');

/**
 * Valid API keys by the sha256 of the presented token (never the token itself), so a busy client does
 * not cost a database round trip per request. Revocation stays immediate: the api_keys trigger notifies
 * every replica, which drops the key before it is asked again (and with no live listener nothing is
 * served from the cache). Failed authentications are never cached.
 */
export type ApiKeyCache = InvalidatedCache<UserPrincipal>;

export function createApiKeyCache(invalidation: CacheInvalidation): ApiKeyCache {
  return credentialCache(invalidation, 'api_keys', (principal) => principal.keyId);
}

/** Principals by credential hash, dropped when their row in `table` (id from `rowIdOf`) changes. */
function credentialCache<P>(invalidation: CacheInvalidation, table: string, rowIdOf: (principal: P) => string): InvalidatedCache<P> {
  return new InvalidatedCache<P>(invalidation, {
    maxBytes: 10_000 * 256,
    ttlMs: 10 * 60_000,
    sizeOf: () => 256,
    affected: (changed, id) => (changed !== table ? null : id === '*' ? 'all' : (principal) => rowIdOf(principal) === id),
  });
}

/**
 * The cache entry of `token`'s principal, without a promise in the way (the hot path of every request).
 * Callers ask this first; authenticateApiKey/authenticateAgent read the database and fill the cache.
 */
export function cachedPrincipal<P>(token: string, cache: InvalidatedCache<P> | undefined): CacheEntry<P> | undefined {
  return cache?.entry(hashCredential(token));
}

export async function authenticateApiKey(db: Db, token: string, cache?: ApiKeyCache): Promise<UserPrincipal> {
  const cacheKey = cache ? hashCredential(token) : '';
  const readToken = cache?.readToken() ?? null;
  const prefix = credentialPrefix(token, 'npb');
  if (!prefix) throw invalid();
  const key = await db.apiKey.findUnique({ where: { prefix } });
  if (!key || !credentialMatches(token, key.secretHash)) throw invalid();
  if (key.revokedAt) throw unauthorized('auth.key_revoked', 'The API key has been revoked.');
  const principal: UserPrincipal = { kind: 'user', keyId: key.id, orgId: key.orgId, role: key.role };
  cache?.set(readToken, cacheKey, principal);
  return principal;
}

/** Valid agent tokens, like ApiKeyCache: agents call on every claim, progress report and result. */
export type AgentTokenCache = InvalidatedCache<AgentPrincipal>;

export function createAgentTokenCache(invalidation: CacheInvalidation): AgentTokenCache {
  return credentialCache(invalidation, 'agents', (principal) => principal.agentId);
}

export async function authenticateAgent(db: Db, token: string, cache?: AgentTokenCache): Promise<AgentPrincipal> {
  const cacheKey = cache ? hashCredential(token) : '';
  const readToken = cache?.readToken() ?? null;
  const prefix = credentialPrefix(token, 'npba');
  if (!prefix) throw unauthorized('auth.invalid_agent_token', 'The agent token is not valid.');
  const agent = await db.agent.findUnique({ where: { tokenPrefix: prefix } });
  if (!agent || !credentialMatches(token, agent.tokenHash)) throw unauthorized('auth.invalid_agent_token', 'The agent token is not valid.');
  if (agent.revokedAt) throw unauthorized('auth.agent_revoked', 'The agent has been revoked.');
  const principal: AgentPrincipal = { kind: 'agent', agentId: agent.id };
  cache?.set(readToken, cacheKey, principal);
  return principal;
}
