import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_TREE_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/lib/crypto/merkle.js';

const hex = (h: string) => Buffer.from(h, 'hex');
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** MTH straight from RFC 6962 §2.1, sharing no code with the implementation under test. */
function naiveRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

const makeLeaves = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`entry-${i}`));

// transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes) and proof/verify_test.go
// (inclusionProofs, consistencyProofs): the RFC 6962 reference vectors Certificate Transparency uses.
const VECTOR_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const VECTOR_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, proof]
const VECTOR_INCLUSION: Array<[number, number, string[]]> = [
  [0, 1, []],
  [0, 8, [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]],
  [5, 8, [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]],
];
// [old size, new size, proof]
const VECTOR_CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [1, 8, [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]],
  [6, 8, [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
  [2, 5, [
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]],
  [6, 7, [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
];

describe('RFC 6962 reference vectors', () => {
  it('computes the empty-tree hash and the roots of the first 1..8 leaves', () => {
    expect(EMPTY_TREE_ROOT.toString('hex')).toBe(VECTOR_ROOTS[0]);
    for (let n = 0; n <= 8; n++) {
      expect(merkleRoot(VECTOR_LEAVES.slice(0, n)).toString('hex'), `size ${n}`).toBe(VECTOR_ROOTS[n]);
    }
  });

  it.each(VECTOR_INCLUSION)('generates and verifies the inclusion proof for leaf %i of %i', (index, size, proof) => {
    const leaves = VECTOR_LEAVES.slice(0, size);
    expect(inclusionProof(leaves, index).map((h) => h.toString('hex'))).toEqual(proof);
    expect(verifyInclusion(leafHash(leaves[index]!), index, size, proof.map(hex), hex(VECTOR_ROOTS[size]!))).toBe(true);
  });

  it.each(VECTOR_CONSISTENCY)('generates and verifies the consistency proof %i -> %i', (oldSize, newSize, proof) => {
    const leaves = VECTOR_LEAVES.slice(0, newSize);
    expect(consistencyProof(leaves, oldSize).map((h) => h.toString('hex'))).toEqual(proof);
    expect(verifyConsistency(oldSize, newSize, hex(VECTOR_ROOTS[oldSize]!), hex(VECTOR_ROOTS[newSize]!), proof.map(hex))).toBe(true);
  });
});

describe('inclusion proofs for every leaf of trees of 1..64 leaves', () => {
  const MAX = 64;
  const leaves = makeLeaves(MAX);

  it('verify against a root computed by the naive RFC definition', () => {
    for (let size = 1; size <= MAX; size++) {
      const tree = leaves.slice(0, size);
      const root = naiveRoot(tree);
      expect(merkleRoot(tree).equals(root), `root of ${size}`).toBe(true);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(tree, index);
        expect(verifyInclusion(leafHash(tree[index]!), index, size, proof, root), `leaf ${index} of ${size}`).toBe(true);
      }
    }
  });

  it('fail for a tampered leaf, a wrong index or size, a truncated, extended or altered proof and a wrong root', () => {
    for (let size = 1; size <= MAX; size++) {
      const tree = leaves.slice(0, size);
      const root = naiveRoot(tree);
      const otherRoot = naiveRoot([...tree.slice(0, -1), Buffer.from('another last entry')]);
      for (let index = 0; index < size; index++) {
        const leaf = leafHash(tree[index]!);
        const proof = inclusionProof(tree, index);
        const at = `leaf ${index} of ${size}`;
        expect(verifyInclusion(leafHash(Buffer.from(`tampered-${index}`)), index, size, proof, root), at).toBe(false);
        // The raw leaf instead of its hash: the 0x00 prefix is what keeps leaves and nodes apart.
        expect(verifyInclusion(sha256(tree[index]!), index, size, proof, root), at).toBe(false);
        for (const wrongIndex of [index - 1, index + 1, index ^ 2]) {
          if (wrongIndex !== index) expect(verifyInclusion(leaf, wrongIndex, size, proof, root), `${at} as ${wrongIndex}`).toBe(false);
        }
        // Not size + 1: a proof can be valid for a few neighbouring sizes (leaf 0 has the same path in 3 and 4).
        expect(verifyInclusion(leaf, index, size * 2, proof, root), at).toBe(false);
        if (index < Math.floor(size / 2)) expect(verifyInclusion(leaf, index, Math.floor(size / 2), proof, root), at).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root), at).toBe(false);
          const altered = proof.map((h, i) => (i === proof.length - 1 ? Buffer.from(h.map((b, j) => (j === 0 ? b ^ 8 : b))) : h));
          expect(verifyInclusion(leaf, index, size, altered, root), at).toBe(false);
        }
        expect(verifyInclusion(leaf, index, size, [...proof, root], root), at).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, otherRoot), at).toBe(false);
      }
    }
  });

  it('rejects out-of-range and malformed arguments without throwing', () => {
    const tree = leaves.slice(0, 5);
    const root = merkleRoot(tree);
    const leaf = leafHash(tree[0]!);
    const proof = inclusionProof(tree, 0);
    expect(verifyInclusion(leaf, 5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, -1, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0.5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 0, [], EMPTY_TREE_ROOT)).toBe(false);
    expect(verifyInclusion(leaf.subarray(1), 0, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 5, [...proof.slice(0, -1), Buffer.alloc(0)], root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 5, 'proof' as unknown as Buffer[], root)).toBe(false);
    expect(() => inclusionProof(tree, 5)).toThrow(RangeError);
  });
});

describe('consistency proofs between all tree sizes m <= n <= 64', () => {
  const MAX = 64;
  const leaves = makeLeaves(MAX);
  const roots = Array.from({ length: MAX + 1 }, (_, n) => naiveRoot(leaves.slice(0, n)));

  it('verify for every pair, including the trivial m = 0 and m = n', () => {
    for (let newSize = 0; newSize <= MAX; newSize++) {
      const tree = leaves.slice(0, newSize);
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(tree, oldSize);
        expect(verifyConsistency(oldSize, newSize, roots[oldSize]!, roots[newSize]!, proof), `${oldSize} -> ${newSize}`).toBe(true);
      }
    }
  });

  it('fail for a wrong old or new root, wrong sizes and a truncated, padded or altered proof', () => {
    for (let newSize = 2; newSize <= MAX; newSize++) {
      const tree = leaves.slice(0, newSize);
      for (let oldSize = 1; oldSize < newSize; oldSize++) {
        const proof = consistencyProof(tree, oldSize);
        const oldRoot = roots[oldSize]!;
        const newRoot = roots[newSize]!;
        const at = `${oldSize} -> ${newSize}`;
        const wrongOldRoot = naiveRoot([...leaves.slice(0, oldSize - 1), Buffer.from('rewritten history')]);
        expect(verifyConsistency(oldSize, newSize, wrongOldRoot, newRoot, proof), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, roots[newSize - 1]!, proof), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof), at).toBe(false);
        expect(verifyConsistency(newSize, oldSize, oldRoot, newRoot, proof), at).toBe(false);
        for (const wrongOld of [oldSize - 1, oldSize + 1]) {
          if (wrongOld > 0 && wrongOld < newSize) expect(verifyConsistency(wrongOld, newSize, oldRoot, newRoot, proof), `${at} as ${wrongOld}`).toBe(false);
        }
        expect(verifyConsistency(oldSize, newSize * 2, oldRoot, newRoot, proof), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, []), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1)), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot]), at).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [oldRoot, ...proof]), at).toBe(false);
        for (let i = 0; i < proof.length; i++) {
          const altered = proof.map((h, j) => (j === i ? Buffer.from(h.map((b, k) => (k === 0 ? b ^ 16 : b))) : h));
          expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, altered), `${at} proof[${i}]`).toBe(false);
        }
      }
    }
  });

  it('handles the trivial sizes strictly', () => {
    const someRoot = roots[3]!;
    expect(verifyConsistency(0, 3, EMPTY_TREE_ROOT, someRoot, [])).toBe(true);
    expect(verifyConsistency(0, 3, someRoot, someRoot, [])).toBe(false);
    expect(verifyConsistency(0, 3, EMPTY_TREE_ROOT, someRoot, [someRoot])).toBe(false);
    expect(verifyConsistency(3, 3, someRoot, someRoot, [])).toBe(true);
    expect(verifyConsistency(3, 3, someRoot, roots[4]!, [])).toBe(false);
    expect(verifyConsistency(3, 3, someRoot, someRoot, [someRoot])).toBe(false);
    expect(verifyConsistency(-1, 3, someRoot, someRoot, [])).toBe(false);
    expect(() => consistencyProof(leaves.slice(0, 3), 4)).toThrow(RangeError);
  });
});
