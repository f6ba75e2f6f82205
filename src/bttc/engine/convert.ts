/**
 * The executor (src/evm) names header fields as EthereumJS does; the engine uses Bor's names.
 * Same 15 fields, same RLP order: these converters only rename.
 */
import type { BttcHeader } from './types.ts';

/** Structurally the executor's `HeaderFields` (src/evm/interface.ts). */
export interface ExecHeaderFields {
  parentHash: Uint8Array;
  uncleHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsTrie: Uint8Array;
  receiptTrie: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  nonce: Uint8Array;
}

export function fromExecHeader(h: ExecHeaderFields): BttcHeader {
  return {
    parentHash: h.parentHash,
    uncleHash: h.uncleHash,
    coinbase: h.coinbase,
    stateRoot: h.stateRoot,
    txRoot: h.transactionsTrie,
    receiptRoot: h.receiptTrie,
    bloom: h.logsBloom,
    difficulty: h.difficulty,
    number: h.number,
    gasLimit: h.gasLimit,
    gasUsed: h.gasUsed,
    time: h.timestamp,
    extra: h.extraData,
    mixDigest: h.mixHash,
    nonce: h.nonce,
  };
}

export function toExecHeader(h: BttcHeader): ExecHeaderFields {
  return {
    parentHash: h.parentHash,
    uncleHash: h.uncleHash,
    coinbase: h.coinbase,
    stateRoot: h.stateRoot,
    transactionsTrie: h.txRoot,
    receiptTrie: h.receiptRoot,
    logsBloom: h.bloom,
    difficulty: h.difficulty,
    number: h.number,
    gasLimit: h.gasLimit,
    gasUsed: h.gasUsed,
    timestamp: h.time,
    extraData: h.extra,
    mixHash: h.mixDigest,
    nonce: h.nonce,
  };
}
