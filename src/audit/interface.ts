/**
 * What the live-network audits (`bttc-node audit checkpoint|span`) take and give. An audit reads a
 * claim from one public endpoint (a RootChain header block, a Delivery span), recomputes it from
 * another (Bttc blocks, the span's validator set and seed), and says whether the two agree.
 *
 * Exit codes of the CLI: 0 the claim matches, 1 it does not, 2 the audit could not be done (bad
 * input, an endpoint unreachable or answering something unreadable): an AuditError, whose message
 * names the flag or the URL at fault.
 */
import type { CheckpointHeader } from '../merkle/checkpoint.ts';

export const EXIT_MATCH = 0;
export const EXIT_MISMATCH = 1;
export const EXIT_CANNOT_AUDIT = 2;

/** The audit could not be done; the message names the flag or the endpoint at fault. */
export class AuditError extends Error {
  override name = 'AuditError';
}

/** `(done, total)` units of long work (blocks fetched), for progress on stderr. */
export type Progress = (done: number, total: number) => void;

export interface CheckpointAuditResult {
  headerBlock: number;
  start: number;
  end: number;
  /** The root the RootChain stores for the header block. */
  root: string;
  /** The root over the Bttc blocks [start, end] as the Bttc RPC serves them. */
  recomputed: string;
  match: boolean;
}

/** A producer as Bttc commits it: id, signer and power (times drawn, or own power when all produce). */
export interface SpanProducer {
  id: number;
  signer: string;
  /** int64: a number when exact, else a decimal string. */
  power: number | string;
}

export interface SpanAuditResult {
  span: number;
  /** The seed used for the draw; null when every eligible validator produces (no draw, no seed needed). */
  seed: string | null;
  /** Delivery's `selected_producers`. */
  producers: SpanProducer[];
  /** The producers recomputed from the span's validator set and the seed. */
  recomputed: SpanProducer[];
  match: boolean;
}

/** RootChain.headerBlocks(id): what the root chain holds for one checkpoint. */
export interface HeaderBlock {
  id: bigint;
  root: string;
  start: bigint;
  end: bigint;
  createdAt: bigint;
  proposer: string;
}

/** The RootChain contract on one root chain (EVM JSON-RPC or TRON's wallet HTTP API). */
export interface RootChainReader {
  /** "ethereum RootChain 0x… at https://…", for messages. */
  readonly describe: string;
  /** null when the contract holds nothing under `id` (never submitted, or reset). */
  headerBlock(id: bigint): Promise<HeaderBlock | null>;
  currentHeaderBlock(): Promise<bigint>;
  /** RootChain.CHAINID(): the Bttc chain id it accepts checkpoints for; null when the call is not there. */
  bttcChainId(): Promise<bigint | null>;
}

/** Bttc blocks as the checkpoint root reads them, from a Bttc JSON-RPC endpoint. */
export interface BttcHeaderSource {
  readonly url: string;
  chainId(): Promise<bigint>;
  /** Blocks [start, end] in order; throws AuditError when a block is missing or malformed. */
  headers(start: number, end: number, onProgress?: Progress): Promise<CheckpointHeader[]>;
}
