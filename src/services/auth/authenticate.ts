import type { Db } from '../../lib/database.js';
import { credentialMatches, credentialPrefix } from '../../lib/secrets.js';
import { unauthorized } from '../../lib/errors.js';
import type { AgentPrincipal, UserPrincipal } from './principal.js';

const invalid = () => unauthorized('auth.invalid_credentials', 'The API key is not valid.');

export async function authenticateApiKey(db: Db, token: string): Promise<UserPrincipal> {
  const prefix = credentialPrefix(token, 'npb');
  if (!prefix) throw invalid();
  const key = await db.apiKey.findUnique({ where: { prefix } });
  if (!key || !credentialMatches(token, key.secretHash)) throw invalid();
  if (key.revokedAt) throw unauthorized('auth.key_revoked', 'The API key has been revoked.');
  return { kind: 'user', keyId: key.id, orgId: key.orgId, role: key.role };
}

export async function authenticateAgent(db: Db, token: string): Promise<AgentPrincipal> {
  const prefix = credentialPrefix(token, 'npba');
  if (!prefix) throw unauthorized('auth.invalid_agent_token', 'The agent token is not valid.');
  const agent = await db.agent.findUnique({ where: { tokenPrefix: prefix } });
  if (!agent || !credentialMatches(token, agent.tokenHash)) throw unauthorized('auth.invalid_agent_token', 'The agent token is not valid.');
  if (agent.revokedAt) throw unauthorized('auth.agent_revoked', 'The agent has been revoked.');
  return { kind: 'agent', agentId: agent.id };
}
