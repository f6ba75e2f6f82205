/**
 * The chain store's record kinds, one Repository per bucket of the registry (src/db/buckets.ts) and
 * one codec per record kind. The byte layouts are the ones the store has always written (existing
 * data directories open unchanged; test/chain/layout.test.ts pins them):
 *
 *   chainHeader          hash(32)                → RLP header
 *   chainBody            hash(32)                → RLP [txs, senders concatenated (20 bytes each)]
 *   chainReceipts        hash(32)                → RLP [[consensus receipt, gasUsed, [contract]?], …]
 *   chainTotalDifficulty hash(32)                → total difficulty, minimal big-endian
 *   chainCanonical       number(u64)             → hash
 *   chainTxIndex         tx hash(32)             → block hash(32) ‖ number(u64) ‖ index(u32)
 *   chainAddressLog      address(20) ‖ number(u64) → 0x01 (the canonical block has a log by address)
 *   chainMeta            0x01 head | 0x02 genesis → hash
 */
import { RLP } from '@ethereumjs/rlp';
import { BUCKETS } from '../db/buckets.ts';
import type { KeyValueStore } from '../db/interface.ts';
import { bytesCodec, fixedBytesCodec, presenceCodec, Repository, tupleCodec, u64BigCodec, type Codec } from '../db/repository.ts';
import { bigToBytes, bytesToBig, decodeHeader, encodeHeader, receiptFromItem, receiptToItem } from '../evm/block.ts';
import type { HeaderFields, Receipt } from '../evm/interface.ts';
import type { TxLocation } from './interface.ts';

export interface StoredBody {
  txs: Uint8Array[];
  /** One 20-byte sender per transaction. */
  senders: Uint8Array[];
}

export type ChainMetaName = 'head' | 'genesis';

const hashKey = fixedBytesCodec(32);
const addressKey = fixedBytesCodec(20);

const META_IDS: Record<ChainMetaName, number> = { head: 0x01, genesis: 0x02 };
export const metaNameCodec: Codec<ChainMetaName> = {
  encode: (name) => Uint8Array.of(META_IDS[name]),
  decode(b) {
    if (b.length === 1 && b[0] === META_IDS.head) return 'head';
    if (b.length === 1 && b[0] === META_IDS.genesis) return 'genesis';
    throw new Error(`chain meta: unknown key 0x${Buffer.from(b).toString('hex')}`);
  },
};

export const headerCodec: Codec<HeaderFields> = { encode: encodeHeader, decode: decodeHeader };

export const bodyCodec: Codec<StoredBody> = {
  encode(b) {
    const senders = new Uint8Array(b.senders.length * 20);
    b.senders.forEach((s, i) => {
      if (s.length !== 20) throw new Error(`body: sender ${i} is ${s.length} bytes, not 20`);
      senders.set(s, i * 20);
    });
    return RLP.encode([b.txs, senders]);
  },
  decode(raw) {
    const [txs, s] = RLP.decode(raw) as unknown as [Uint8Array[], Uint8Array];
    const senders: Uint8Array[] = [];
    for (let i = 0; i < s.length; i += 20) senders.push(s.subarray(i, i + 20));
    return { txs, senders };
  },
};

// A receipt the executor produced carries its consensus encoding across (receiptEncoding): stored as is.
export const receiptsCodec: Codec<Receipt[]> = {
  encode: (rs) => RLP.encode(rs.map(receiptToItem)),
  decode: (raw) => (RLP.decode(raw) as unknown[]).map(receiptFromItem),
};

export const quantityCodec: Codec<bigint> = { encode: bigToBytes, decode: bytesToBig };

export const txLocationCodec: Codec<TxLocation> = {
  encode(loc) {
    const out = new Uint8Array(44);
    out.set(loc.blockHash, 0);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(32, loc.blockNumber);
    dv.setUint32(40, loc.index);
    return out;
  },
  decode(raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return { blockHash: raw.slice(0, 32), blockNumber: dv.getBigUint64(32), index: dv.getUint32(40) };
  },
};

export interface ChainRecords {
  header: Repository<Uint8Array, HeaderFields>;
  body: Repository<Uint8Array, StoredBody>;
  receipts: Repository<Uint8Array, Receipt[]>;
  td: Repository<Uint8Array, bigint>;
  canonical: Repository<bigint, Uint8Array>;
  txIndex: Repository<Uint8Array, TxLocation>;
  addressLog: Repository<readonly [Uint8Array, bigint], true>;
  meta: Repository<ChainMetaName, Uint8Array>;
}

export function chainRecords(db: KeyValueStore): ChainRecords {
  return {
    header: new Repository(db, BUCKETS.chainHeader, hashKey, headerCodec),
    body: new Repository(db, BUCKETS.chainBody, hashKey, bodyCodec),
    receipts: new Repository(db, BUCKETS.chainReceipts, hashKey, receiptsCodec),
    td: new Repository(db, BUCKETS.chainTotalDifficulty, hashKey, quantityCodec),
    canonical: new Repository(db, BUCKETS.chainCanonical, u64BigCodec, bytesCodec),
    txIndex: new Repository(db, BUCKETS.chainTxIndex, hashKey, txLocationCodec),
    addressLog: new Repository(db, BUCKETS.chainAddressLog, tupleCodec<readonly [Uint8Array, bigint]>(addressKey, u64BigCodec), presenceCodec),
    meta: new Repository(db, BUCKETS.chainMeta, metaNameCodec, bytesCodec),
  };
}
