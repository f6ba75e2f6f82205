/**
 * A start-up check of what the chain store says against what its records prove. LevelDB (as
 * classic-level opens it) does not verify block checksums on reads, so zeroed or flipped bytes in a
 * table can come back as different data instead of an error. Every stored header is
 * content-addressed and every block names its parent, so walking back from the head and re-hashing
 * catches such damage, and the head's state root must be in the state database the executor opens.
 */
import type { ChainStoreApi } from '../chain/interface.ts';
import { hashHeader, orderedTrieRoot } from '../evm/block.ts';
import { bytesToHex, equalBytes } from '../util/bytes.ts';

export class StoreIntegrityError extends Error {
  override name = 'StoreIntegrityError';
}

export interface IntegrityDeps {
  chain: Pick<ChainStoreApi, 'head' | 'getCanonicalHash' | 'getHeader' | 'getBody'>;
  /** Whether the executor's state database holds this root (the head's state must be there). */
  hasState(stateRoot: Uint8Array): Promise<boolean>;
}

/**
 * Throws StoreIntegrityError naming the first block whose records do not agree: the last `depth`
 * canonical blocks are re-hashed and linked, the head's transactions re-rooted, and the head's state
 * root looked up. `where` names the store in the message.
 */
export async function verifyChainIntegrity(deps: IntegrityDeps, opts: { depth: number; where: string }): Promise<{ checked: number }> {
  const fail: (what: string) => never = (what) => {
    throw new StoreIntegrityError(`${opts.where}: ${what}. The database is damaged; the node will not start on it. Restore the data dir from a backup, or remove it and sync again.`);
  };
  const head = deps.chain.head();
  let checked = 0;
  let child: { number: bigint; parentHash: Uint8Array } | null = null;
  try {
    for (let n = head.number; n >= 0n && checked < opts.depth; n--) {
      const hash = await deps.chain.getCanonicalHash(n);
      if (!hash) fail(`no canonical hash for block ${n} below the head ${head.number}`);
      if (n === head.number && !equalBytes(hash, head.hash)) fail(`the head pointer ${bytesToHex(head.hash)} is not the canonical block ${n} (${bytesToHex(hash)})`);
      const header = await deps.chain.getHeader(hash);
      if (!header) fail(`block ${n} ${bytesToHex(hash)} has no header`);
      if (header.number !== n) fail(`the header stored for block ${n} says it is block ${header.number}`);
      const actual = hashHeader(header);
      if (!equalBytes(actual, hash)) fail(`the header of block ${n} hashes to ${bytesToHex(actual)}, not ${bytesToHex(hash)} (its bytes changed)`);
      if (child && !equalBytes(child.parentHash, hash)) fail(`block ${child.number} names parent ${bytesToHex(child.parentHash)}, but the canonical block ${n} is ${bytesToHex(hash)}`);
      if (n === head.number) {
        const body = await deps.chain.getBody(hash);
        if (!body) fail(`the head block ${n} has no body`);
        const root = orderedTrieRoot(body.txs);
        if (!equalBytes(root, header.txRoot)) fail(`the head block ${n}'s ${body.txs.length} stored transactions root to ${bytesToHex(root)}, not the header's ${bytesToHex(header.txRoot)}`);
        if (!(await deps.hasState(header.stateRoot))) fail(`the state of the head block ${n} (root ${bytesToHex(header.stateRoot)}) is missing from the state database`);
      }
      child = { number: n, parentHash: header.parentHash };
      checked++;
    }
  } catch (err) {
    if (err instanceof StoreIntegrityError) throw err;
    // LevelDB reports what it can detect (a bad block checksum, a failed decompression) as an error on read.
    fail(`reading it failed: ${(err as Error).message}`);
  }
  return { checked };
}
