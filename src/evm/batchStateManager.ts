/**
 * EthereumJS's MerkleStateManager with a batched `flush`: when a block commits, its storage changes
 * and then its account changes are written to the tries with BatchTrie (one update per trie, each
 * changed node encoded and hashed once) instead of one MPT `put` per slot and per account. Code is
 * written as upstream does. The resulting roots and stored nodes are the MPT's own
 * (test/evm/batch-trie.test.ts; test/evm/executor.test.ts compares whole blocks with stock EthereumJS).
 *
 * Only the outermost flush (no open checkpoint) takes the batched path; a flush inside a checkpoint
 * (nothing in the block path does one) is left to upstream, whose trie checkpoints can revert it.
 * Uses the protected fields of @ethereumjs/statemanager 10.1.3, pinned exactly for that.
 */
import { CODEHASH_PREFIX, MerkleStateManager, type MerkleStateManagerOpts } from '@ethereumjs/statemanager';
import { RLP } from '@ethereumjs/rlp';
import { Account, Address, createAccountFromRLP, createAddressFromString, unpadBytes } from '@ethereumjs/util';
import { accountOf, ObjectAccountCache } from './accountCache.ts';
import { BatchTrie, type TrieNodeStore, type TrieUpdate } from './batchTrie.ts';
import { keccak256 } from './crypto.ts';
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../util/bytes.ts';

export class BatchStateManager extends MerkleStateManager {
  readonly #batch: BatchTrie;
  /** Flushes that took the batched path (test/evm/flush-reachable.test.ts checks blocks take it). */
  batchedFlushes = 0;

  constructor(opts: MerkleStateManagerOpts, nodes: TrieNodeStore) {
    super(opts);
    this.#batch = new BatchTrie(nodes);
  }

  /** Upstream's, but a cached account comes back as a copy of the decoded one, not decoded again (accountCache.ts). */
  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address);
    if (elem !== undefined) return accountOf(elem);
    return super.getAccount(address);
  }

  /**
   * Upstream writes a slot both to the storage cache and, because the cache's `put` returns nothing
   * and the two are joined with `??`, straight into the account's storage trie: a full MPT put on
   * every SSTORE, six per ERC-20 transfer, all redone at the flush. Here a slot goes to the cache
   * only, and reaches the trie once, at the flush; reads of changed slots are served by the cache
   * and unchanged ones by the trie at its pre-block root, which is what they hold.
   */
  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const cache = this._caches?.storage;
    if (!cache) return super.putStorage(address, key, value);
    if (key.length !== 32) throw new Error('Storage key must be 32 bytes long');
    if (value.length > 32) throw new Error('Storage value cannot be longer than 32 bytes');
    if (!(await this.getAccount(address))) throw new Error('putStorage() called on non-existing account');
    cache.put(address, key, RLP.encode(unpadBytes(value)));
  }

  /**
   * Accounts read from the trie at `root` by the block prefetcher (src/evm/prefetch.ts), put in the
   * account cache exactly as getAccount does after its own trie read, so execution does not walk the
   * trie for them again. Only while the state is at `root` (else nothing is seeded), and never over
   * an entry the cache already has: that can be this block's own newer write.
   */
  seedAccounts(root: Uint8Array, accounts: Iterable<readonly [address: Uint8Array, rlp: Uint8Array | null]>): void {
    const cache = this._caches?.account;
    if (!cache || !equalBytes(root, this._trie.root())) return;
    for (const [bytes, rlp] of accounts) {
      const address = new Address(bytes);
      if (cache.get(address) !== undefined) continue;
      if (rlp === null) cache.put(address, undefined);
      else if (cache instanceof ObjectAccountCache) cache.putDecoded(address, rlp);
      else cache.put(address, createAccountFromRLP(rlp));
    }
  }

  override async flush(): Promise<void> {
    const caches = this._caches;
    if (this._checkpointCount > 0 || !caches?.account || !caches.storage) return super.flush();
    // code first, exactly as upstream: it may create accounts and changes code hashes
    for (const [addressHex, elem] of caches.code?.flush() ?? []) {
      if (elem.code === undefined) continue;
      const address = createAddressFromString(`0x${addressHex}`);
      const codeHash = keccak256(elem.code);
      await this._getCodeDB().put(this._prefixCodeHashes ? concatBytes(CODEHASH_PREFIX, codeHash) : codeHash, elem.code);
      if ((await this.getAccount(address)) === undefined) await this.putAccount(address, new Account());
      await this.modifyAccountFields(address, { codeHash });
    }
    // storage, grouped by account: one trie update each, then the account's new storage root
    const byAccount = new Map<string, TrieUpdate[]>();
    for (const [addressHex, keyHex, value] of caches.storage.flush()) {
      let list = byAccount.get(addressHex);
      if (!list) byAccount.set(addressHex, (list = []));
      const decoded = RLP.decode(value ?? new Uint8Array(0)) as Uint8Array;
      list.push([keccak256(hexToBytes(`0x${keyHex}`)), decoded.length > 0 ? RLP.encode(decoded) : null]);
    }
    for (const [addressHex, updates] of byAccount) {
      const address = createAddressFromString(`0x${addressHex}`);
      const account = await this.getAccount(address);
      if (!account) continue; // as upstream: storage of an account deleted since is dropped
      account.storageRoot = await this.#batch.update(account.storageRoot, updates);
      // a storage trie object cached by upstream must not keep the old root
      delete this._storageTries[bytesToHex(keccak256(address.bytes)).slice(2)];
      await this.putAccount(address, account);
    }
    const accounts: TrieUpdate[] = [];
    for (const [addressHex, elem] of caches.account.flush()) accounts.push([keccak256(hexToBytes(`0x${addressHex}`)), elem.accountRLP ?? null]);
    if (accounts.length > 0) this._trie.root(await this.#batch.update(this._trie.root(), accounts));
    this.batchedFlushes++;
  }
}
