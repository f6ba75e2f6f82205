/**
 * EthereumJS's account cache, keeping decoded accounts instead of only their RLP.
 *
 * Upstream stores `{ accountRLP }`: every `putAccount` encodes the account and every cached
 * `getAccount` decodes it again. A transfer reads and writes its sender, recipient and the block's
 * coinbase (the coinbase about twice per transaction, the same account all block long), and an ERC-20
 * call reads its sender and contract several times more inside runTx, so a block encoded and decoded
 * the same few hundred accounts thousands of times (≈ 10 % of an ERC-20 block in the executor's
 * profile). Here an entry holds a private copy of the account and computes its RLP only when someone
 * asks for it (the block's flush, upstream's fallbacks), once.
 *
 * The entry keeps upstream's shape (`accountRLP`, now a lazy getter), so the cache's checkpoint,
 * revert, commit and flush, which treat entries as opaque values, and every upstream reader work
 * unchanged. Entries are never mutated after they are stored: `put` copies the caller's account and
 * `accountOf` hands out a fresh copy, as the decode used to, so a caller that changes the object it
 * got (runTx does) cannot reach into the cache or into a checkpoint's saved entry.
 * Pinned to @ethereumjs/statemanager 10.1.3 (the cache's protected fields).
 */
import { AccountCache } from '@ethereumjs/statemanager';
import { Account, type Address, bytesToUnprefixedHex, createAccountFromRLP } from '@ethereumjs/util';

/** A cache entry with its account decoded; `accountRLP` is encoded on first read and kept. */
export class AccountEntry {
  readonly account: Account;
  #rlp: Uint8Array | undefined;

  constructor(account: Account, rlp?: Uint8Array) {
    this.account = account;
    this.#rlp = rlp;
  }

  get accountRLP(): Uint8Array {
    this.#rlp ??= this.account.serialize();
    return this.#rlp;
  }
}

/** A copy sharing the (never mutated in place) root and code hash arrays; no validation: the source was valid. */
export function copyAccount(a: Account): Account {
  const c = Object.create(Account.prototype) as Account;
  const src = a as unknown as Record<string, unknown>;
  const dst = c as unknown as Record<string, unknown>;
  dst._nonce = src._nonce;
  dst._balance = src._balance;
  dst._storageRoot = src._storageRoot;
  dst._codeHash = src._codeHash;
  dst._codeSize = src._codeSize;
  dst._version = src._version;
  return c;
}

export class ObjectAccountCache extends AccountCache {
  override put(address: Address, account: Account | undefined, couldBePartialAccount = false): void {
    // Partial accounts (stateless clients) keep upstream's encoding; nothing in the executor makes them.
    if (account === undefined || couldBePartialAccount) return super.put(address, account, couldBePartialAccount);
    this.store(address, new AccountEntry(copyAccount(account)));
  }

  /** An account read from the trie together with its RLP (the prefetcher's leaves): no re-encoding. */
  putDecoded(address: Address, rlp: Uint8Array): void {
    this.store(address, new AccountEntry(createAccountFromRLP(rlp), rlp));
  }

  private store(address: Address, entry: AccountEntry): void {
    const addressHex = bytesToUnprefixedHex(address.bytes);
    this._saveCachePreState(addressHex);
    if (this._lruCache) this._lruCache.set(addressHex, entry);
    else this._orderedMapCache!.setElement(addressHex, entry);
    this._stats.writes += 1;
  }
}

/**
 * The account of a cache entry, as upstream's getAccount returns it (a fresh object), or undefined
 * for a known-absent account. Entries written before this cache (or partial ones) are decoded.
 */
export function accountOf(elem: { accountRLP: Uint8Array | undefined }): Account | undefined {
  if (elem instanceof AccountEntry) return copyAccount(elem.account);
  return elem.accountRLP !== undefined ? createAccountFromRLP(elem.accountRLP) : undefined;
}
