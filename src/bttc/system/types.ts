/** The Delivery data Bttc commits at sprint starts (spec §8), as the system contracts receive it. */

/** Bor's `MinimalVal`: what `commitSpan` carries per validator / producer. */
export interface MinimalVal {
  id: bigint;
  power: bigint;
  signer: Uint8Array;
}

export interface SpanRecord {
  id: number;
  startBlock: number;
  endBlock: number;
  validators: MinimalVal[];
  producers: MinimalVal[];
}

/** Delivery's spans by id (the span module behind an adapter). */
export interface SpanSource {
  spanById(id: number): SpanRecord | undefined;
}

/** One root-chain state sync (Delivery's clerk record, Bor's `EventRecordWithTime`). */
export interface StateSyncRecord {
  id: bigint;
  /** Unix seconds when Delivery recorded it. */
  time: bigint;
  contract: Uint8Array;
  data: Uint8Array;
  txHash: Uint8Array;
  logIndex: bigint;
  /** The Bttc chain id as Bor carries it: a decimal string ("199"). */
  chainId: string;
}

export interface StateSyncSource {
  /** Records with id ≥ fromId and time < toTime, in id order (Bor's FetchStateSyncEvents). */
  recordsFrom(fromId: bigint, toTime: bigint): Promise<StateSyncRecord[]>;
}
