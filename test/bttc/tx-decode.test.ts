/**
 * The pool's in-place legacy decoder against the straightforward one it replaced (RLP.decode the
 * list, RLP.encode the unsigned fields again for the digest), kept here as the oracle: random
 * well-formed transactions decode to the same fields and digest, and random corruptions of them are
 * refused by both or accepted by both with the same result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { decodeTx, TxDecodeError, type DecodedTx } from '../../src/bttc/txpool/tx.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { bigintToMinimalBytes } from '../../src/bttc/engine/header.ts';
import { bytesToBigInt, bytesToHex } from '../../src/util/bytes.ts';

function referenceLegacy(raw: Uint8Array): Omit<DecodedTx, 'raw' | 'hash' | 'accessListAddresses' | 'accessListKeys' | 'type'> {
  const f = RLP.decode(raw) as unknown;
  if (!Array.isArray(f) || f.length !== 9) throw new TxDecodeError('shape');
  if (!f.every((x) => x instanceof Uint8Array)) throw new TxDecodeError('field type');
  const b = f as Uint8Array[];
  const uint = (x: Uint8Array) => {
    if (x.length > 32 || (x.length > 0 && x[0] === 0)) throw new TxDecodeError('uint');
    return bytesToBigInt(x);
  };
  const [nonce, gasPrice, gasLimit] = [uint(b[0]!), uint(b[1]!), uint(b[2]!)];
  if (b[3]!.length !== 0 && b[3]!.length !== 20) throw new TxDecodeError('to');
  const value = uint(b[4]!);
  const [v, r, s] = [uint(b[6]!), uint(b[7]!), uint(b[8]!)];
  let chainId: bigint | undefined;
  let recid: number;
  let sigHash: Uint8Array;
  if (v === 27n || v === 28n) {
    recid = Number(v - 27n);
    sigHash = keccak256(RLP.encode(b.slice(0, 6)));
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n;
    recid = Number((v - 35n) % 2n);
    sigHash = keccak256(RLP.encode([...b.slice(0, 6), bigintToMinimalBytes(chainId), new Uint8Array(0), new Uint8Array(0)]));
  } else throw new TxDecodeError('v');
  const signature = new Uint8Array(65);
  const rb = bigintToMinimalBytes(r);
  const sb = bigintToMinimalBytes(s);
  signature.set(rb, 32 - rb.length);
  signature.set(sb, 64 - sb.length);
  signature[64] = recid;
  return { chainId, nonce, gasPrice, gasLimit, to: b[3]!.length ? b[3]! : null, value, data: b[5]!, sigHash, signature };
}

const show = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v));

function outcome(fn: () => object): string {
  try {
    return show(fn());
  } catch (err) {
    // Only decode errors count as a refusal; anything else is a bug in the decoder.
    if (err instanceof TxDecodeError || /RLP|invalid/i.test((err as Error).message)) return 'refused';
    throw err;
  }
}

const fast = (raw: Uint8Array) => {
  const d = decodeTx(raw);
  return { chainId: d.chainId, nonce: d.nonce, gasPrice: d.gasPrice, gasLimit: d.gasLimit, to: d.to, value: d.value, data: d.data, sigHash: d.sigHash, signature: d.signature };
};

const uintArb = (maxBytes: number) => fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << BigInt(8 * maxBytes)) - 1n }));
const txArb = fc.record({
  nonce: uintArb(8),
  gasPrice: uintArb(32),
  gasLimit: uintArb(8),
  to: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.constant(new Uint8Array(0))),
  value: uintArb(32),
  data: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 1 }), fc.uint8Array({ maxLength: 120 })),
  v: fc.oneof(fc.constantFrom(27n, 28n, 35n, 36n, 2674398n + 35n, 2674398n + 36n), fc.bigInt({ min: 0n, max: 1n << 70n })),
  r: uintArb(32),
  s: uintArb(32),
});

function encode(t: { nonce: bigint; gasPrice: bigint; gasLimit: bigint; to: Uint8Array; value: bigint; data: Uint8Array; v: bigint; r: bigint; s: bigint }): Uint8Array {
  const u = bigintToMinimalBytes;
  return RLP.encode([u(t.nonce), u(t.gasPrice), u(t.gasLimit), t.to, u(t.value), t.data, u(t.v), u(t.r), u(t.s)]);
}

test('in-place legacy decoding equals decode + re-encode on random transactions', () => {
  let accepted = 0;
  fc.assert(
    fc.property(txArb, (t) => {
      const raw = encode(t);
      const a = outcome(() => fast(raw));
      assert.equal(
        a,
        outcome(() => referenceLegacy(raw)),
      );
      if (a !== 'refused') accepted++;
    }),
    { numRuns: 2000, seed: 20261206 },
  );
  assert.ok(accepted > 1000, `only ${accepted} accepted: the comparison is mostly of refusals`);
});

test('corrupted legacy transactions: both decoders refuse, or both accept with the same result', () => {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'), byte: fc.integer({ min: 0, max: 255 }) });
  let refused = 0;
  fc.assert(
    fc.property(txArb, fc.array(edit, { minLength: 1, maxLength: 3 }), (t, edits) => {
      let raw = encode(t);
      for (const e of edits) {
        const i = raw.length ? e.at % raw.length : 0;
        if (e.kind === 'flip') raw[i] = e.byte;
        else if (e.kind === 'insert') raw = Uint8Array.from([...raw.subarray(0, i), e.byte, ...raw.subarray(i)]);
        else if (e.kind === 'delete') raw = Uint8Array.from([...raw.subarray(0, i), ...raw.subarray(i + 1)]);
        else raw = raw.slice(0, i);
      }
      if (raw.length === 0 || raw[0]! < 0xc0) return; // not a legacy transaction any more
      const a = outcome(() => fast(raw));
      assert.equal(
        a,
        outcome(() => referenceLegacy(raw)),
        bytesToHex(raw),
      );
      if (a === 'refused') refused++;
    }),
    { numRuns: 3000, seed: 612 },
  );
  assert.ok(refused > 500, `only ${refused} corruptions refused`);
});
