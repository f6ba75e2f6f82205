/** Records the Delivery store keeps and the REST API serves. */
import type { SpanJson } from '../../protocol/span/span.ts';

export interface AckedCheckpoint {
  rootChainId: number;
  /** headerBlockId / 10000: 1 for the first checkpoint on that root chain. */
  number: number;
  headerBlockId: string;
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
  /** From the approved buffer entry when it matches the acked range; null otherwise. */
  accountRootHash: string | null;
  borChainId: number;
  epoch: number | null;
  /** Signatures the approved checkpoint carried (0 when acked without a matching buffer entry). */
  signatureCount: number;
  /** Delivery block time (unix seconds) and height of the ack. */
  timestamp: number;
  deliveryHeight: number;
  /** Root-chain transaction that emitted NewHeaderBlock. */
  txHash: string;
}

export type StoredSpanJson = SpanJson;

/** A state-sync event handed to Bttc's commitState (rlp([id, contract, data, txHash, logIndex, chainId])). */
export interface EventRecord {
  /** Global sequential id across root chains, from 1. */
  id: number;
  rootChainId: number;
  /** The StateSender's counter on its root chain. */
  stateId: string;
  contract: string;
  data: string;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  /** Delivery block time (unix seconds) of the block that applied it. */
  recordTime: number;
  bttcChainId: number;
}
