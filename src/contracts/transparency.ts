// The public transparency log's answers: checkpoints, entries and proofs, checkable offline against the
// log key (GET /v1/transparency/log-key), which is not the report key. Zod only: the dashboard imports this file.
import { z } from 'zod';
import { rowId } from './common.js';

export const logKeySchema = z
  .strictObject({
    origin: z.string().describe('The first line of every checkpoint, and the name of the log key'),
    vkey: z.string().describe('`<origin>+<key id hex>+<base64(0x01 || Ed25519 public key)>` (golang.org/x/mod/sumdb/note verifier key)'),
  })
  .meta({ id: 'LogKey' });
export type LogKey = z.infer<typeof logKeySchema>;

export const treeHeadSchema = z
  .object({
    origin: z.string().describe("The log's origin (c2sp.org/tlog-checkpoint)"),
    treeSize: z.int().min(0),
    rootHash: z.string().describe('Standard base64 of the 32-byte RFC 6962 root hash'),
  })
  .describe('What the checkpoint says, parsed; verify the checkpoint, not this')
  .meta({ id: 'TreeHead' });
export type TreeHead = z.infer<typeof treeHeadSchema>;

export const signedTreeHeadSchema = z
  .object({
    treeHead: treeHeadSchema,
    checkpoint: z.string().describe('The C2SP signed note: origin, size and root hash lines, a blank line, the log key\'s signature line'),
    publishedAt: z.string().describe('When this size was first published (unsigned: checkpoints carry no time)'),
  })
  .meta({ id: 'SignedTreeHead' });
export type SignedTreeHead = z.infer<typeof signedTreeHeadSchema>;

export const logEntrySchema = z
  .object({
    index: z.int().min(0),
    kind: z.string().describe('certificate.issued or certificate.revoked'),
    certificateId: rowId,
    leaf: z.string().describe('Standard base64 of the leaf bytes that were hashed'),
    decoded: z.unknown().describe('The leaf parsed as JSON; null if the stored bytes are not canonical JSON (which only tampering causes)'),
    leafHash: z.string().describe('Lowercase hex RFC 6962 leaf hash'),
  })
  .meta({ id: 'LogEntry' });
export type LogEntry = z.infer<typeof logEntrySchema>;

export const logEntryPageSchema = z
  .object({ logSize: z.int().min(0), entries: z.array(logEntrySchema) })
  .describe('Entries from `start` in index order; ask again from start + entries.length for more')
  .meta({ id: 'LogEntryPage' });
export type LogEntryPage = z.infer<typeof logEntryPageSchema>;

export const inclusionProofSchema = signedTreeHeadSchema
  .extend({
    index: z.int().min(0),
    treeSize: z.int().min(1),
    leaf: z.string().describe('Standard base64 of the leaf bytes'),
    hashes: z.array(z.string()).describe('The RFC 6962 audit path, standard base64'),
  })
  .describe('Inclusion of an entry in a published tree, with that tree\'s checkpoint')
  .meta({ id: 'InclusionProof' });
export type InclusionProof = z.infer<typeof inclusionProofSchema>;

export const consistencyProofSchema = z
  .object({
    fromSize: z.int().min(0),
    toSize: z.int().min(0),
    hashes: z.array(z.string()).describe('The RFC 6962 consistency proof, standard base64'),
    from: signedTreeHeadSchema,
    to: signedTreeHeadSchema,
  })
  .describe('Proof that the published tree of fromSize is a prefix of the one of toSize')
  .meta({ id: 'ConsistencyProof' });
export type ConsistencyProof = z.infer<typeof consistencyProofSchema>;

/** What a leaf holds (LogEntry.decoded), for readers that show it: the entry's own fields vary by kind. */
export const logLeafSchema = z.looseObject({
  kind: z.string(),
  certificateId: z.string(),
  entry: z.looseObject({ issuedAt: z.string().optional(), revokedAt: z.string().optional() }),
  loggedAt: z.string(),
});
export type LogLeaf = z.infer<typeof logLeafSchema>;
