// `npubench log monitor --state DIR`: follows an issuer's transparency log as an outside monitor does.
// Each run fetches the latest checkpoint, checks it against the pinned log key (trust store or
// --log-key, never a key the log hands out now), proves it consistent (RFC 6962) with the last checkpoint
// kept in DIR, replays every entry to recompute the root, and only then keeps the new checkpoint. Exit 1
// when the log misbehaved (bad signature, fork, rollback, rewritten entry); exit 2 when it could not check.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { networkFailure } from '../../lib/http-client.js';
import { verifyCheckpoint, type Checkpoint } from '../../lib/crypto/checkpoint.js';
import { merkleRoot, verifyConsistency } from '../../lib/crypto/merkle.js';
import { parseVerifierKey, type NoteVerifierKey } from '../../lib/crypto/signed-note.js';
import { findTrustedIssuer, listTrustedIssuers, trustStoreDir } from '../../lib/certificates/trust-store.js';
import { normaliseIssuerUrl } from '../../lib/certificates/certificate-issuer.js';
import { NoTrustRootError, readJsonSource, readLogKey } from './verify.js';

export interface LogMonitorOptions {
  issuer?: string;
  logKey?: string;
  state: string;
  json?: boolean;
}

/** The log did something an honest append-only log never does. */
class LogMisbehaviour extends Error {}

const ENTRIES_PAGE = 1000;

async function chooseLog(opts: LogMonitorOptions): Promise<{ issuer: string; key: NoteVerifierKey }> {
  const entries = opts.issuer === undefined ? await listTrustedIssuers() : [];
  const issuer = opts.issuer !== undefined ? normaliseIssuerUrl(opts.issuer) : entries.length === 1 ? entries[0]!.issuer : undefined;
  if (!issuer) {
    throw new NoTrustRootError(
      entries.length === 0
        ? `No issuer to monitor: the trust store (${trustStoreDir()}) is empty. Add one (npubench trust add <issuer URL>) or pass --issuer URL --log-key VKEY.`
        : `The trust store holds ${entries.length} issuers: choose one with --issuer URL.`,
    );
  }
  if (opts.logKey !== undefined) return { issuer, key: await readLogKey(opts.logKey) };
  const stored = await findTrustedIssuer(issuer);
  if (!stored?.logKey) {
    throw new NoTrustRootError(
      `No pinned log key for ${issuer}: ${stored ? 'its trust store entry predates log keys; re-add it' : 'add it'} (npubench trust add ${issuer}) or pass --log-key VKEY. ` +
        'A monitor never takes the key from the log it watches.',
    );
  }
  return { issuer, key: parseVerifierKey(stored.logKey) };
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'error' });
  } catch (err) {
    throw new Error(`Cannot fetch ${url} (${networkFailure(err, 15_000)})`);
  }
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return res.text();
}

const describe = (c: Checkpoint) => `size ${c.treeSize}, root ${c.rootHash}`;

async function proveConsistent(issuer: string, previous: Checkpoint, latest: Checkpoint): Promise<void> {
  if (latest.treeSize < previous.treeSize) throw new LogMisbehaviour(`the log shrank: it signed ${describe(previous)} before and now ${describe(latest)} (rollback or fork)`);
  if (latest.treeSize === previous.treeSize) {
    if (latest.rootHash !== previous.rootHash) throw new LogMisbehaviour(`fork: two different roots signed for size ${latest.treeSize}: ${previous.rootHash} before, ${latest.rootHash} now`);
    return;
  }
  const url = `${issuer}/v1/transparency/proofs/consistency?from=${previous.treeSize}&to=${latest.treeSize}`;
  let hashes: unknown;
  try {
    hashes = ((await readJsonSource(url)) as { hashes?: unknown }).hashes;
  } catch (err) {
    throw new LogMisbehaviour(`the log gives no consistency proof from ${previous.treeSize} to ${latest.treeSize} (${(err as Error).message})`);
  }
  const proof = Array.isArray(hashes) ? hashes.map((h) => (typeof h === 'string' ? Buffer.from(h, 'base64') : Buffer.alloc(0))) : [];
  if (!verifyConsistency(previous.treeSize, latest.treeSize, Buffer.from(previous.rootHash, 'base64'), Buffer.from(latest.rootHash, 'base64'), proof)) {
    throw new LogMisbehaviour(`the consistency proof from ${describe(previous)} to ${describe(latest)} does not verify: entries before ${previous.treeSize} were rewritten, or the log forked`);
  }
}

/** Re-reads every entry of the checkpoint's tree and recomputes its root: catches a rewrite even when the log did not grow. */
async function replayEntries(issuer: string, latest: Checkpoint): Promise<void> {
  const leaves: Buffer[] = [];
  while (leaves.length < latest.treeSize) {
    const limit = Math.min(ENTRIES_PAGE, latest.treeSize - leaves.length);
    const page = (await readJsonSource(`${issuer}/v1/transparency/entries?start=${leaves.length}&limit=${limit}`)) as { entries?: { index: number; leaf: string }[] };
    const entries = page.entries ?? [];
    if (entries.length === 0) throw new LogMisbehaviour(`the log serves ${leaves.length} entries but its checkpoint says ${latest.treeSize}`);
    for (const entry of entries.slice(0, limit)) {
      if (entry.index !== leaves.length) throw new LogMisbehaviour(`the log served entry ${entry.index} where ${leaves.length} was expected`);
      leaves.push(Buffer.from(entry.leaf, 'base64'));
    }
  }
  const root = merkleRoot(leaves).toString('base64');
  if (root !== latest.rootHash) throw new LogMisbehaviour(`the log's ${latest.treeSize} entries hash to ${root}, not to the signed root ${latest.rootHash}: an entry was rewritten`);
}

export async function logMonitorCommand(opts: LogMonitorOptions): Promise<number> {
  const { issuer, key } = await chooseLog(opts);
  const statePath = join(opts.state, `${key.name.replace(/[^A-Za-z0-9.-]+/g, '_')}.checkpoint`);
  const previousNote = await readFile(statePath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  let previous: Checkpoint | undefined;
  if (previousNote !== undefined) {
    const verified = verifyCheckpoint(previousNote, key);
    if (!verified.ok) throw new Error(`${statePath} is not a checkpoint of ${key.name} signed by the pinned key (${verified.reason}); move it away to start over`);
    previous = verified.checkpoint;
  }

  const report = (ok: boolean, message: string, latest?: Checkpoint) => {
    if (opts.json) console.log(JSON.stringify({ ok, origin: key.name, issuer, previous: previous ?? null, latest: latest ?? null, message }));
    else (ok ? console.log : console.error)(`${ok ? 'ok' : 'ALERT'} ${key.name}: ${message}`);
    return ok ? 0 : 1;
  };

  const checkpointUrl = `${issuer}/v1/transparency/checkpoint`;
  const note = await fetchText(checkpointUrl);
  const verified = verifyCheckpoint(note, key);
  if (!verified.ok) return report(false, `the checkpoint at ${checkpointUrl} does not verify against the pinned log key (${verified.reason})`);
  const latest = verified.checkpoint;
  try {
    if (previous) await proveConsistent(issuer, previous, latest);
    await replayEntries(issuer, latest);
  } catch (err) {
    // The last good checkpoint stays in the state: the next run checks against it again.
    if (err instanceof LogMisbehaviour) return report(false, err.message, latest);
    throw err;
  }
  await mkdir(opts.state, { recursive: true });
  await writeFile(`${statePath}.tmp`, note);
  await rename(`${statePath}.tmp`, statePath);
  const how = previous ? `consistent with the kept checkpoint of size ${previous.treeSize}` : 'first checkpoint kept (nothing earlier to compare with)';
  return report(true, `${describe(latest)}; ${how}; all ${latest.treeSize} entries replayed to the signed root; kept in ${statePath}`, latest);
}
