import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import fc from 'fast-check';
import {
  orderedTrieRoot,
  encodeHeader,
  decodeHeader,
  encodeReceipt,
  decodeReceipt,
  logsBloom,
  bloomContains,
  EMPTY_TRIE_ROOT,
  bigToBytes,
  receiptEncoding,
  receiptFromItem,
} from '../../src/evm/block.ts';
import { decodeExecuteResult, encodeExecuteResult } from '../../src/evm/codec.ts';
import type { Receipt } from '../../src/evm/interface.ts';
import { receiptsCodec } from '../../src/chain/records.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';

async function mptRoot(values: Uint8Array[]): Promise<string> {
  const trie = new MerklePatriciaTrie();
  for (let i = 0; i < values.length; i++) await trie.put(RLP.encode(i), values[i]!);
  return bytesToHex(trie.root());
}

test('orderedTrieRoot equals the EthereumJS MPT for sizes around every key-length and branching edge', async () => {
  assert.equal(bytesToHex(orderedTrieRoot([])), vectors.emptyTrieRoot);
  assert.equal(bytesToHex(EMPTY_TRIE_ROOT), vectors.emptyTrieRoot);
  for (const n of [1, 2, 3, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 1025]) {
    // short values (embedded nodes) and long ones (hashed nodes)
    const short = Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff));
    const long = Array.from({ length: n }, (_, i) => new Uint8Array(40 + (i % 7)).fill(i & 0xff));
    assert.equal(bytesToHex(orderedTrieRoot(short)), await mptRoot(short), `short values, n=${n}`);
    assert.equal(bytesToHex(orderedTrieRoot(long)), await mptRoot(long), `long values, n=${n}`);
  }
});

test('header and receipt encodings round-trip; the bloom finds what was added', () => {
  const h = {
    parentHash: new Uint8Array(32).fill(1),
    uncleHash: new Uint8Array(32).fill(2),
    coinbase: new Uint8Array(20).fill(3),
    stateRoot: new Uint8Array(32).fill(4),
    txRoot: new Uint8Array(32).fill(5),
    receiptRoot: new Uint8Array(32).fill(6),
    bloom: new Uint8Array(256).fill(7),
    difficulty: 11n,
    number: 1234567n,
    gasLimit: 20_000_000n,
    gasUsed: 0n,
    time: 1_700_000_000n,
    extra: new Uint8Array(97).fill(8),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  };
  assert.deepEqual(decodeHeader(encodeHeader(h)), h);
  assert.throws(() => decodeHeader(RLP.encode([new Uint8Array(1)])), /15 fields/);
  const logs = [{ address: new Uint8Array(20).fill(9), topics: [new Uint8Array(32).fill(10)], data: Uint8Array.of(1, 2) }];
  const r = { txType: 1, status: 1 as const, cumulativeGasUsed: 50_000n, logsBloom: logsBloom(logs), logs };
  const back = decodeReceipt(encodeReceipt({ ...r, gasUsed: 1n }));
  assert.equal(back.txType, 1);
  assert.equal(back.status, 1);
  assert.equal(back.cumulativeGasUsed, 50_000n);
  assert.equal(bytesToHex(back.logs[0]!.data), '0x0102');
  assert.ok(bloomContains(r.logsBloom, logs[0]!.address));
  assert.ok(bloomContains(r.logsBloom, logs[0]!.topics[0]!));
  assert.ok(!bloomContains(r.logsBloom, new Uint8Array(20).fill(0x77)));
});

/** Random receipts as the executor builds them: legacy and access-list types, failures, creations, logs. */
const arbReceipt = fc
  .record({
    txType: fc.constantFrom(0, 1),
    status: fc.constantFrom<0 | 1>(0, 1),
    cumulativeGasUsed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    gasUsed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    logs: fc.array(
      fc.record({
        address: fc.uint8Array({ minLength: 20, maxLength: 20 }),
        topics: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }),
        data: fc.uint8Array({ maxLength: 200 }),
      }),
      { maxLength: 4 },
    ),
    contractAddress: fc.option(fc.uint8Array({ minLength: 20, maxLength: 20 }), { nil: undefined }),
  })
  .map(({ contractAddress, ...r }): Receipt => {
    const logs = r.logs.map(({ address, topics, data }) => ({ address, topics, data }));
    const receipt: Receipt = { txType: r.txType, status: r.status, cumulativeGasUsed: r.cumulativeGasUsed, gasUsed: r.gasUsed, logsBloom: logsBloom(logs), logs };
    if (contractAddress) receipt.contractAddress = contractAddress;
    return receipt;
  });

/** The stored receipts layout, written out from the documented form (src/chain/records.ts), not through receiptToItem. */
const storedLayout = (rs: Receipt[]) => RLP.encode(rs.map((r) => [encodeReceipt(r), bigToBytes(r.gasUsed), r.contractAddress ? [r.contractAddress] : []]));

test('receipts crossing from the executor are stored with the bytes a fresh encoding gives, and decode to the same fields', () => {
  fc.assert(
    fc.property(fc.array(arbReceipt, { maxLength: 6 }), fc.boolean(), (rs, executed) => {
      const result = { receipts: rs, systemResults: [], timings: { decodeMs: 1, execMs: 2, systemMs: 0, commitMs: 3, rootsMs: 4, cpuMs: 5, queuedMs: 0 } };
      // The executor encodes each receipt for the root before the result crosses (the memo path) or not.
      if (executed) orderedTrieRoot(rs.map(receiptEncoding));
      const crossed = decodeExecuteResult(encodeExecuteResult(result)).receipts;
      assert.deepEqual(crossed, rs);
      const expected = storedLayout(rs);
      assert.deepEqual(receiptsCodec.encode(crossed), expected, 'stored bytes after crossing');
      assert.deepEqual(receiptsCodec.encode(rs), expected, 'stored bytes of the executor objects');
      assert.deepEqual(receiptsCodec.decode(expected), rs);
      for (const [i, r] of crossed.entries()) assert.deepEqual(receiptEncoding(r), encodeReceipt(rs[i]!));
    }),
    { numRuns: 300 },
  );
  assert.throws(() => receiptFromItem([new Uint8Array(1), new Uint8Array(0)]), /expected \[encoding, gasUsed/);
});
