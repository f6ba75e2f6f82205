/**
 * Which of a block's freshly written trie nodes its post-state actually references.
 *
 * EthereumJS's MPT saves every node on the path of every `put`, so a block that updates 2,000
 * accounts one after another writes a new root, new upper branches and so on for each of them: most
 * of those nodes are replaced by a later put of the same block and nothing ever points at them. They
 * are content-addressed and never pruned, so writing them would cost LevelDB time and disk forever.
 * `reachableNodes` walks the new state root (and every account's storage root and code hash) through
 * the nodes written since the last flush only; what it does not reach is garbage of the block itself.
 * Nodes already on disk end the walk (their subtrees were stored with them).
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../util/bytes.ts';

/** MerkleStateManager stores code under `c ‖ codeHash` (prefixCodeHashes, its default). */
const CODE_PREFIX_HEX = '63';

type Decoded = Uint8Array | Decoded[];

function hexOf(b: Uint8Array): string {
  return bytesToHex(b).slice(2);
}

/**
 * The keys of `fresh` (unprefixed hex, as the MPT names nodes) reachable from `roots` (state roots).
 * Walking stops at any reference that is not in `fresh`.
 */
export function reachableNodes(roots: readonly Uint8Array[], fresh: ReadonlyMap<string, Uint8Array>): Set<string> {
  const keep = new Set<string>();
  // a stack of [node reference, is it in an account trie (its leaves are accounts)]
  const stack: [Decoded, boolean][] = [];

  const visitRef = (ref: Decoded, accountTrie: boolean): void => {
    // A node shorter than 32 bytes is embedded in its parent, not stored. It cannot hold a hash
    // reference (that alone is 33 bytes) nor an account (its RLP is longer), so nothing below it is.
    if (Array.isArray(ref)) return;
    if (ref.length !== 32) return; // empty slot
    const key = hexOf(ref);
    if (keep.has(key)) return;
    const raw = fresh.get(key);
    if (raw === undefined) return; // already on disk (or never written by this block): nothing to add
    keep.add(key);
    stack.push([RLP.decode(raw) as Decoded, accountTrie]);
  };

  const visitLeafValue = (value: Decoded, accountTrie: boolean): void => {
    if (!accountTrie || Array.isArray(value)) return;
    // an account: rlp([nonce, balance, storageRoot, codeHash])
    const acc = RLP.decode(value) as Decoded;
    if (!Array.isArray(acc) || acc.length !== 4) return;
    const [, , storageRoot, codeHash] = acc;
    if (storageRoot instanceof Uint8Array) visitRef(storageRoot, false);
    if (codeHash instanceof Uint8Array && codeHash.length === 32) {
      const codeKey = CODE_PREFIX_HEX + hexOf(codeHash);
      if (fresh.has(codeKey)) keep.add(codeKey);
    }
  };

  const visitNode = (node: Decoded, accountTrie: boolean): void => {
    if (!Array.isArray(node)) return;
    if (node.length === 17) {
      for (let i = 0; i < 16; i++) visitRef(node[i]!, accountTrie);
      const v = node[16]!;
      if (v instanceof Uint8Array && v.length > 0) visitLeafValue(v, accountTrie);
      return;
    }
    if (node.length === 2) {
      const path = node[0];
      if (!(path instanceof Uint8Array) || path.length === 0) return;
      const flag = path[0]! >> 4;
      if (flag === 2 || flag === 3) visitLeafValue(node[1]!, accountTrie);
      else visitRef(node[1]!, accountTrie);
    }
  };

  for (const root of roots) {
    visitRef(root, true);
    while (stack.length > 0) {
      const [node, accountTrie] = stack.pop()!;
      visitNode(node, accountTrie);
    }
  }
  return keep;
}
