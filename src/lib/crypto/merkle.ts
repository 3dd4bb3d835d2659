// RFC 6962 / RFC 9162 Merkle tree hashing for the certificate transparency log. Proofs are generated with
// the recursive definitions of RFC 6962 §2.1 and verified with the iterative algorithms of RFC 9162
// §2.1.3.2 and §2.1.4.2, so a bug in one path cannot hide behind the same bug in the other. Tree heads
// are signed as C2SP checkpoints (checkpoint.ts).
import { createHash, timingSafeEqual } from 'node:crypto';

const HASH_BYTES = 32;
// Domain separation (RFC 6962 §2.1): a leaf can never be mistaken for an interior node.
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_TREE_ROOT: Buffer = createHash('sha256').digest();

export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  return leaves.length === 0 ? Buffer.from(EMPTY_TREE_ROOT) : subtreeRoot(leaves.map(leafHash), 0, leaves.length);
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1: the sibling hashes from leaf `index` up to the root. */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${leaves.length} leaves`);
  }
  return inclusionPath(leaves.map(leafHash), index, 0, leaves.length);
}

/** PROOF(m, D[n]) of RFC 6962 §2.1.2, proving the first `oldSize` leaves are a prefix of `leaves`. Empty when
 *  oldSize is 0 or the whole tree: those need no proof. */
export function consistencyProof(leaves: readonly Uint8Array[], oldSize: number): Buffer[] {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > leaves.length) {
    throw new RangeError(`old size ${oldSize} is outside 0..${leaves.length}`);
  }
  if (oldSize === 0) return [];
  return subproof(leaves.map(leafHash), oldSize, 0, leaves.length, true);
}

/** Largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree of n leaves. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// The recursive helpers work on the leaf-hash range [start, end) so no sub-arrays are copied.
function subtreeRoot(hashes: readonly Buffer[], start: number, end: number): Buffer {
  if (end - start === 1) return hashes[start]!;
  const mid = start + splitPoint(end - start);
  return nodeHash(subtreeRoot(hashes, start, mid), subtreeRoot(hashes, mid, end));
}

function inclusionPath(hashes: readonly Buffer[], index: number, start: number, end: number): Buffer[] {
  if (end - start === 1) return [];
  const mid = start + splitPoint(end - start);
  return index < mid
    ? [...inclusionPath(hashes, index, start, mid), subtreeRoot(hashes, mid, end)]
    : [...inclusionPath(hashes, index, mid, end), subtreeRoot(hashes, start, mid)];
}

/** SUBPROOF(m, D[start:end], b); `complete` is b: whether the old tree's root is this very subtree. */
function subproof(hashes: readonly Buffer[], m: number, start: number, end: number, complete: boolean): Buffer[] {
  const n = end - start;
  if (m === n) return complete ? [] : [subtreeRoot(hashes, start, end)];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(hashes, m, start, start + k, complete), subtreeRoot(hashes, start + k, end)]
    : [...subproof(hashes, m - k, start + k, end, false), subtreeRoot(hashes, start, start + k)];
}

// ---- verification (RFC 9162), written without the helpers above ----

/** RFC 9162 §2.1.3.2. `leaf` is the entry's leafHash(), not the entry. Never throws: every argument may come
 *  from an untrusted proof bundle. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeSize(treeSize) || !isTreeSize(index) || index >= treeSize) return false;
  if (!isHash(leaf) || !isHash(root) || !isProof(proof)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node has no right sibling: RFC 6962 promotes it unchanged.
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && hashesEqual(r, root);
}

/** RFC 9162 §2.1.4.2, plus the two trivial cases it leaves out: size 0 (the empty tree is a prefix of every
 *  tree) and equal sizes (the roots must match and the proof must be empty). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !isProof(proof)) return false;
  if (oldSize === 0) return proof.length === 0 && hashesEqual(oldRoot, EMPTY_TREE_ROOT);
  if (oldSize === newSize) return proof.length === 0 && hashesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;

  // When the old tree is a complete subtree, its root is the proof's implicit first element.
  const consistencyPath = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr: Buffer = Buffer.from(consistencyPath[0]!);
  let sr: Buffer = Buffer.from(consistencyPath[0]!);
  for (const c of consistencyPath.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && hashesEqual(fr, oldRoot) && hashesEqual(sr, newRoot);
}

// Arithmetic rather than bitwise operators: JS bit operators truncate to 32 bits and logs may grow past 2^31.
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);
const isTreeSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === HASH_BYTES;
const isProof = (proof: unknown): proof is Uint8Array[] => Array.isArray(proof) && proof.every(isHash);

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
