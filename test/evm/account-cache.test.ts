/**
 * The decoded-account cache (src/evm/accountCache.ts) against EthereumJS's own AccountCache: random
 * sequences of put, delete, read, caller mutation of a read or written object, checkpoint, commit,
 * revert and flush, applied to both. Every read must give the same account (or absence), every flush
 * the same addresses with the same RLP, in the same order. The mutation steps change the object a
 * caller got from a read or passed to a put without putting it again: the upstream cache, which keeps
 * only bytes, never sees that, so a cache that kept a caller's object would fail here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AccountCache, CacheType } from '@ethereumjs/statemanager';
import { Account, Address, createAccountFromRLP } from '@ethereumjs/util';
import { accountOf, ObjectAccountCache } from '../../src/evm/accountCache.ts';
import { bytesToHex } from '../../src/util/bytes.ts';

const ADDRESSES = Array.from({ length: 5 }, (_, i) => new Address(Uint8Array.from({ length: 20 }, (_, j) => (j === 19 ? i + 1 : 0))));

type Op =
  | { kind: 'put'; who: number; nonce: bigint; balance: bigint; root: number }
  | { kind: 'putMutate'; who: number; nonce: bigint; balance: bigint }
  | { kind: 'readMutate'; who: number }
  | { kind: 'del'; who: number }
  | { kind: 'read'; who: number }
  | { kind: 'putDecoded'; who: number; nonce: bigint }
  | { kind: 'checkpoint' }
  | { kind: 'commit' }
  | { kind: 'revert' }
  | { kind: 'flush' };

const who = fc.integer({ min: 0, max: ADDRESSES.length - 1 });
const amount = fc.bigInt({ min: 0n, max: 10n ** 20n });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), who, nonce: fc.bigInt({ min: 0n, max: 1000n }), balance: amount, root: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('putMutate' as const), who, nonce: fc.bigInt({ min: 0n, max: 1000n }), balance: amount }),
  fc.record({ kind: fc.constant('readMutate' as const), who }),
  fc.record({ kind: fc.constant('del' as const), who }),
  fc.record({ kind: fc.constant('read' as const), who }),
  fc.record({ kind: fc.constant('putDecoded' as const), who, nonce: fc.bigInt({ min: 0n, max: 1000n }) }),
  fc.constant({ kind: 'checkpoint' as const }),
  fc.constant({ kind: 'commit' as const }),
  fc.constant({ kind: 'revert' as const }),
  fc.constant({ kind: 'flush' as const }),
);

const rootOf = (i: number) => new Uint8Array(32).fill(i * 17 + 1);
const view = (a: Account | undefined) => (a === undefined ? 'absent' : bytesToHex(a.serialize()));
// Upstream's getAccount on a cache hit: decode the stored bytes.
const upstreamRead = (c: AccountCache, a: Address) => {
  const e = c.get(a);
  return e === undefined ? 'miss' : view(e.accountRLP === undefined ? undefined : createAccountFromRLP(e.accountRLP));
};
const oursRead = (c: ObjectAccountCache, a: Address) => {
  const e = c.get(a);
  return e === undefined ? 'miss' : view(accountOf(e));
};
const flushView = (items: [string, { accountRLP: Uint8Array | undefined }][]) => items.map(([k, e]) => `${k}=${e.accountRLP === undefined ? '-' : bytesToHex(e.accountRLP)}`);

for (const type of [CacheType.ORDERED_MAP, CacheType.LRU]) {
  test(`decoded-account cache (${type}) behaves as upstream's byte cache under random operations`, () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
        const up = new AccountCache({ size: 1000, type });
        const ours = new ObjectAccountCache({ size: 1000, type });
        let depth = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'put': {
              const a = new Account(o.nonce, o.balance, rootOf(o.root));
              up.put(ADDRESSES[o.who]!, a);
              ours.put(ADDRESSES[o.who]!, a);
              break;
            }
            case 'putMutate': {
              // The caller keeps changing its object after the put, without putting it again.
              const a = new Account(o.nonce, o.balance);
              up.put(ADDRESSES[o.who]!, a);
              ours.put(ADDRESSES[o.who]!, a);
              a.nonce += 5n;
              a.balance += 7n;
              break;
            }
            case 'readMutate': {
              const e = ours.get(ADDRESSES[o.who]!);
              const got = e === undefined ? undefined : accountOf(e);
              if (got) {
                got.nonce += 1n;
                got.balance = 0n;
              }
              break;
            }
            case 'putDecoded': {
              const rlp = new Account(o.nonce, 3n).serialize();
              up.put(ADDRESSES[o.who]!, createAccountFromRLP(rlp));
              ours.putDecoded(ADDRESSES[o.who]!, rlp);
              break;
            }
            case 'del':
              up.del(ADDRESSES[o.who]!);
              ours.del(ADDRESSES[o.who]!);
              break;
            case 'read':
              assert.equal(oursRead(ours, ADDRESSES[o.who]!), upstreamRead(up, ADDRESSES[o.who]!));
              break;
            case 'checkpoint':
              up.checkpoint();
              ours.checkpoint();
              depth++;
              break;
            case 'commit':
            case 'revert':
              if (depth === 0) break;
              up[o.kind]();
              ours[o.kind]();
              depth--;
              break;
            case 'flush':
              assert.deepEqual(flushView(ours.flush()), flushView(up.flush()));
              break;
          }
        }
        for (const a of ADDRESSES) assert.equal(oursRead(ours, a), upstreamRead(up, a));
        assert.deepEqual(flushView(ours.flush()), flushView(up.flush()));
      }),
      { numRuns: 400 },
    );
  });
}

test('an entry encodes its account once, on first read of its RLP, and keeps given RLP as is', () => {
  const c = new ObjectAccountCache({ size: 10, type: CacheType.ORDERED_MAP });
  const a = new Account(1n, 2n);
  c.put(ADDRESSES[0]!, a);
  const e = c.get(ADDRESSES[0]!)!;
  const first = e.accountRLP;
  assert.equal(e.accountRLP, first, 'the same bytes object on the second read');
  assert.equal(bytesToHex(first!), bytesToHex(a.serialize()));
  const rlp = new Account(9n, 9n).serialize();
  c.putDecoded(ADDRESSES[1]!, rlp);
  assert.equal(c.get(ADDRESSES[1]!)!.accountRLP, rlp);
});
