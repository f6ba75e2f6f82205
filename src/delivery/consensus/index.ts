/** Delivery's Tendermint consensus: the engine, its interfaces and the pieces a node wires together. */
export * from './interface.ts';
export * from './types.ts';
export { ConsensusState, RoundStep, DEFAULT_TIMEOUTS, type ConsensusDeps, type CommitEvent, type ConsensusStats } from './state.ts';
export { VoteSigner, DoubleSignError } from './signer.ts';
export { FileWal, MemoryWal, MemoryWalDisk, WalError } from './wal.ts';
export { MemoryEvidenceStore, KvEvidenceStore } from './evidence.ts';
export { validatorSetView } from './validator-view.ts';
export { systemClock } from './sim/virtual-clock.ts';
export * as codec from './codec.ts';
