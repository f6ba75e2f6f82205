/**
 * The Delivery state kept in memory between blocks: everything a block's validity and effects depend
 * on. Bulky history (blocks, acked checkpoints, spans, event records, processed sequences) lives only
 * in the store. The whole object is cloned at the start of a commit and swapped in only after the
 * block's batch is on disk, so a failed write never leaves memory ahead of the disk.
 */
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import type { Checkpoint } from '../../protocol/checkpoint/checkpoint.ts';
import { ValidatorSet } from '../../protocol/validators/validator-set.ts';
import type { ValidatorSetJson } from '../../protocol/validators/interface.ts';
import { validatorFromJson, validatorToJson, type Validator, type ValidatorJson } from '../../protocol/validators/validator.ts';
import type { LastCommit } from './types.ts';

export interface BufferedCheckpoint {
  checkpoint: Checkpoint;
  /** Accepted Yes signatures, sorted by signer (root-chain order). */
  signatures: { signer: string; signature: string }[];
  /** Delivery block time (ms) and height at which the checkpoint was approved. */
  time: number;
  height: number;
}

/** One root chain's checkpoint line: Delivery keeps a separate sequence per root chain. */
export interface CheckpointTrack {
  rootChainId: number;
  ackCount: number;
  /** End block of the last acked checkpoint; null before the first. */
  lastEnd: number | null;
  /** Delivery block time (ms) of the last ack (genesis time before the first). */
  lastAckTime: number;
  buffer: BufferedCheckpoint | null;
}

export interface StateData {
  /** Last committed Delivery height (0 = genesis). */
  height: number;
  /** Time (ms) of the last committed block (genesis time at 0). */
  time: number;
  /** keccak256 of the last committed block's bytes (0x00… at genesis). */
  lastBlockId: string;
  /** Every validator record known from staking events, by id (current or not). */
  validators: Map<number, Validator>;
  /** Delivery's validator set: its proposer is the checkpoint proposer, moved by acks and no-acks. */
  deliverySet: ValidatorSet;
  /** The consensus set deciding height + 1 (Tendermint's copy, rotated every height). */
  consensusSet: ValidatorSet;
  /** The consensus set that decided `height` (its precommits ride in the next block). */
  prevConsensusSet: ValidatorSet;
  tracks: CheckpointTrack[];
  lastNoAckTime: number;
  lastSpanId: number;
  clerkLastId: number;
  /** StateSender counter last applied, per root chain id. */
  clerkLastStateId: Map<number, bigint>;
  /** Our commit of `height`: what we carry into the block we propose at height + 1. */
  lastCommit: LastCommit;
  /** Our side votes on the side txs of block `height`, for our precommit at height + 1. */
  mySideVotes: Uint8Array;
}

interface StateJson {
  height: number;
  time: number;
  lastBlockId: string;
  validators: ValidatorJson[];
  deliverySet: ValidatorSetJson;
  consensusSet: ValidatorSetJson;
  prevConsensusSet: ValidatorSetJson;
  tracks: CheckpointTrack[];
  lastNoAckTime: number;
  lastSpanId: number;
  clerkLastId: number;
  clerkLastStateId: [number, string][];
  lastCommit: { round: number; votes: { validator: string; extension: string; signature: string }[] };
  mySideVotes: string;
}

export function stateToJson(s: StateData): StateJson {
  return {
    height: s.height,
    time: s.time,
    lastBlockId: s.lastBlockId,
    validators: [...s.validators.values()].sort((a, b) => a.id - b.id).map(validatorToJson),
    deliverySet: s.deliverySet.toJSON(),
    consensusSet: s.consensusSet.toJSON(),
    prevConsensusSet: s.prevConsensusSet.toJSON(),
    tracks: s.tracks.map((t) => structuredClone(t)),
    lastNoAckTime: s.lastNoAckTime,
    lastSpanId: s.lastSpanId,
    clerkLastId: s.clerkLastId,
    clerkLastStateId: [...s.clerkLastStateId].map(([k, v]) => [k, v.toString()]),
    lastCommit: { round: s.lastCommit.round, votes: s.lastCommit.votes.map((v) => ({ validator: bytesToHex(v.validator), extension: bytesToHex(v.extension), signature: bytesToHex(v.signature) })) },
    mySideVotes: bytesToHex(s.mySideVotes),
  };
}

export function stateFromJson(j: StateJson): StateData {
  return {
    height: j.height,
    time: j.time,
    lastBlockId: j.lastBlockId,
    validators: new Map(j.validators.map((v, i) => {
      const val = validatorFromJson(v, `state.validators[${i}]`);
      return [val.id, val];
    })),
    deliverySet: ValidatorSet.fromJSON(j.deliverySet),
    consensusSet: ValidatorSet.fromJSON(j.consensusSet),
    prevConsensusSet: ValidatorSet.fromJSON(j.prevConsensusSet),
    tracks: j.tracks.map((t) => structuredClone(t)),
    lastNoAckTime: j.lastNoAckTime,
    lastSpanId: j.lastSpanId,
    clerkLastId: j.clerkLastId,
    clerkLastStateId: new Map(j.clerkLastStateId.map(([k, v]) => [k, BigInt(v)])),
    lastCommit: { round: j.lastCommit.round, votes: j.lastCommit.votes.map((v) => ({ validator: hexToBytes(v.validator), extension: hexToBytes(v.extension), signature: hexToBytes(v.signature) })) },
    mySideVotes: hexToBytes(j.mySideVotes),
  };
}

export function encodeState(s: StateData): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(stateToJson(s)));
}

export function decodeState(bytes: Uint8Array): StateData {
  return stateFromJson(JSON.parse(new TextDecoder().decode(bytes)) as StateJson);
}

export function cloneState(s: StateData): StateData {
  return {
    ...s,
    validators: new Map([...s.validators].map(([k, v]) => [k, { ...v }])),
    deliverySet: s.deliverySet.copy(),
    consensusSet: s.consensusSet.copy(),
    prevConsensusSet: s.prevConsensusSet.copy(),
    tracks: s.tracks.map((t) => structuredClone(t)),
    clerkLastStateId: new Map(s.clerkLastStateId),
    lastCommit: { round: s.lastCommit.round, votes: [...s.lastCommit.votes] },
  };
}

export function trackOf(s: StateData, rootChainId: number): CheckpointTrack | undefined {
  return s.tracks.find((t) => t.rootChainId === rootChainId);
}
