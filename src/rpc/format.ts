/** JSON shapes of blocks, transactions, receipts and logs, as geth returns them (pre-London: no baseFeePerGas). */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../util/bytes.ts';
import { bytesToBig, hashHeader, encodeHeader } from '../evm/block.ts';
import { keccak256 } from '../evm/crypto.ts';
import type { HeaderFields, Receipt } from '../evm/interface.ts';
import type { LocatedLog } from '../chain/interface.ts';

export const hex = bytesToHex;
export function qty(v: bigint | number): string {
  return '0x' + BigInt(v).toString(16);
}

export interface TxView {
  type: number;
  chainId?: bigint;
  nonce: bigint;
  gasPrice: bigint;
  gas: bigint;
  to: Uint8Array | null;
  value: bigint;
  input: Uint8Array;
  v: bigint;
  r: bigint;
  s: bigint;
  accessList?: { address: string; storageKeys: string[] }[];
}

/** Decodes a signed legacy or EIP-2930 transaction for display; throws on anything else. */
export function decodeTxView(raw: Uint8Array): TxView {
  if (raw[0]! >= 0xc0) {
    const f = RLP.decode(raw) as Uint8Array[];
    const v = bytesToBig(f[6]!);
    const view: TxView = {
      type: 0,
      nonce: bytesToBig(f[0]!),
      gasPrice: bytesToBig(f[1]!),
      gas: bytesToBig(f[2]!),
      to: f[3]!.length ? f[3]! : null,
      value: bytesToBig(f[4]!),
      input: f[5]!,
      v,
      r: bytesToBig(f[7]!),
      s: bytesToBig(f[8]!),
    };
    if (v >= 35n) view.chainId = (v - 35n) / 2n;
    return view;
  }
  if (raw[0] === 1) {
    const f = RLP.decode(raw.subarray(1)) as unknown as (Uint8Array | [Uint8Array, Uint8Array[]][])[];
    const b = (i: number) => f[i] as Uint8Array;
    const al = (f[7] as [Uint8Array, Uint8Array[]][]).map(([a, keys]) => ({ address: hex(a), storageKeys: keys.map(hex) }));
    return {
      type: 1,
      chainId: bytesToBig(b(0)),
      nonce: bytesToBig(b(1)),
      gasPrice: bytesToBig(b(2)),
      gas: bytesToBig(b(3)),
      to: b(4).length ? b(4) : null,
      value: bytesToBig(b(5)),
      input: b(6),
      accessList: al,
      v: bytesToBig(b(8)),
      r: bytesToBig(b(9)),
      s: bytesToBig(b(10)),
    };
  }
  throw new Error(`unsupported transaction type ${raw[0]}`);
}

export function formatTx(raw: Uint8Array, sender: Uint8Array, loc: { blockHash: Uint8Array; blockNumber: bigint; index: number } | null): Record<string, unknown> {
  const t = decodeTxView(raw);
  const out: Record<string, unknown> = {
    hash: hex(keccak256(raw)),
    type: qty(t.type),
    nonce: qty(t.nonce),
    blockHash: loc ? hex(loc.blockHash) : null,
    blockNumber: loc ? qty(loc.blockNumber) : null,
    transactionIndex: loc ? qty(loc.index) : null,
    from: hex(sender),
    to: t.to ? hex(t.to) : null,
    value: qty(t.value),
    gas: qty(t.gas),
    gasPrice: qty(t.gasPrice),
    input: hex(t.input),
    v: qty(t.v),
    r: qty(t.r),
    s: qty(t.s),
  };
  if (t.chainId !== undefined) out.chainId = qty(t.chainId);
  if (t.accessList) {
    out.accessList = t.accessList;
    out.yParity = qty(t.v);
  }
  return out;
}

export function formatHeader(h: HeaderFields, extra: { td?: bigint; size?: number } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    number: qty(h.number),
    hash: hex(hashHeader(h)),
    parentHash: hex(h.parentHash),
    nonce: hex(h.nonce),
    mixHash: hex(h.mixDigest),
    sha3Uncles: hex(h.uncleHash),
    logsBloom: hex(h.bloom),
    transactionsRoot: hex(h.txRoot),
    stateRoot: hex(h.stateRoot),
    receiptsRoot: hex(h.receiptRoot),
    miner: hex(h.coinbase),
    difficulty: qty(h.difficulty),
    extraData: hex(h.extra),
    gasLimit: qty(h.gasLimit),
    gasUsed: qty(h.gasUsed),
    timestamp: qty(h.time),
  };
  if (extra.td !== undefined) out.totalDifficulty = qty(extra.td);
  return out;
}

export function formatBlock(h: HeaderFields, body: { txs: Uint8Array[]; senders: Uint8Array[] }, full: boolean, td?: bigint): Record<string, unknown> {
  const hash = hashHeader(h);
  const headerBytes = encodeHeader(h);
  const txBytes = body.txs.reduce((n, t) => n + t.length, 0);
  return {
    ...formatHeader(h, { td }),
    // RLP([header, txs, uncles]): close enough for `size` without re-encoding the whole block
    size: qty(headerBytes.length + txBytes + 8),
    transactions: full ? body.txs.map((raw, i) => formatTx(raw, body.senders[i]!, { blockHash: hash, blockNumber: h.number, index: i })) : body.txs.map((raw) => hex(keccak256(raw))),
    uncles: [],
  };
}

export function formatLog(l: LocatedLog): Record<string, unknown> {
  return {
    address: hex(l.address),
    topics: l.topics.map(hex),
    data: hex(l.data),
    blockNumber: qty(l.blockNumber),
    blockHash: hex(l.blockHash),
    transactionHash: hex(l.txHash),
    transactionIndex: qty(l.txIndex),
    logIndex: qty(l.logIndex),
    removed: l.removed,
  };
}

export function formatReceipt(r: Receipt, raw: Uint8Array, sender: Uint8Array, blockHash: Uint8Array, blockNumber: bigint, index: number, firstLogIndex: number): Record<string, unknown> {
  const t = decodeTxView(raw);
  const txHash = keccak256(raw);
  return {
    transactionHash: hex(txHash),
    transactionIndex: qty(index),
    blockHash: hex(blockHash),
    blockNumber: qty(blockNumber),
    from: hex(sender),
    to: t.to ? hex(t.to) : null,
    cumulativeGasUsed: qty(r.cumulativeGasUsed),
    gasUsed: qty(r.gasUsed),
    effectiveGasPrice: qty(t.gasPrice),
    contractAddress: r.contractAddress ? hex(r.contractAddress) : null,
    logs: r.logs.map((l, i) => formatLog({ ...l, blockHash, blockNumber, txHash, txIndex: index, logIndex: firstLogIndex + i, removed: false })),
    logsBloom: hex(r.logsBloom),
    status: qty(r.status),
    type: qty(r.txType),
  };
}
