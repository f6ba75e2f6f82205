/**
 * The node's configuration: network parameters (from a preset in config/) plus this node's own
 * settings. Amounts of BTT are bigint wei (18 decimals); times are seconds unless a name says so.
 */

export interface BttcLayerConfig {
  chainId: number;
  /** Block period in seconds (Bor `period`). */
  period: number;
  /** Extra wait when the producer changes at a sprint start (Bor `producerDelay`). */
  producerDelay: number;
  /** Extra seconds per backup position (Bor `backupMultiplier`). */
  backupMultiplier: number;
  sprint: number;
  spanLength: number;
  /** Span 0 covers blocks [0, firstSpanEnd]. */
  firstSpanEnd: number;
  producerCount: number;
  genesisGasLimit: number;
  /** Gas limit producers target (BTTC validators run with --miner.gaslimit 20000000). */
  gasLimit: number;
  /** Headers at most this many seconds in the future are accepted. */
  maxFutureBlockTime: number;
  validatorSetContract: string;
  stateReceiverContract: string;
  systemAddress: string;
  stateReceiverGas: number;
}

export interface DeliveryConfig {
  chainId: string;
  maxBlockBytes: number;
}

export interface CheckpointConfig {
  bufferTime: number;
  avgLength: number;
  maxLength: number;
  /** A checkpoint shorter than avgLength may be forced this long after the last one. */
  forcePushAfter: number;
  noAckWait: number;
  bttcConfirmations: number;
}

export type RootChainKind = 'evm' | 'tron';

export interface RootChainConfig {
  name: string;
  /** Delivery's root chain id: TRON 1, Ethereum 2, BSC 3. */
  id: number;
  kind: RootChainKind;
  /** Confirmations before Delivery acts on an event from this chain. */
  confirmations: number;
  /** Contract addresses; null where the preset does not know them (supply them by override). */
  stakeManager: string | null;
  rootChain: string | null;
  stateSender: string | null;
  stakingInfo: string | null;
  /** The Governor (issue 18) whose proposals Delivery mirrors; absent/null: no governance on this chain. */
  governor?: string | null;
  rpcUrl: string | null;
}

export interface StakingConfig {
  minStake: bigint;
  validatorThreshold: number;
  withdrawalDelay: number;
  proposerBonusPercent: number;
  minDeliveryFee: bigint;
}

export interface GovernanceConfig {
  minDeposit: bigint;
  depositPeriod: number;
  votingPeriod: number;
  quorum: number;
  threshold: number;
  veto: number;
}

export interface SlashingConfig {
  enabled: boolean;
  signedBlocksWindow: number;
  minSignedPerWindow: number;
  downtimeJailDuration: number;
  slashFractionDoubleSign: number;
  slashFractionDowntime: number;
  slashFractionLimit: number;
  jailFractionLimit: number;
  maxEvidenceAge: number;
  /** Issue 19 (docs/slashing.md): Delivery heights a candidate slash stays open to challenge. */
  challengeWindow: number;
  /** Checkpoint equivocation and double seal, as a fraction of the operator's own stake. */
  slashFractionEquivocation: number;
  /** Jail lengths on the root chain, in epochs (checkpoints). */
  jailEpochsDoubleSign: number;
  jailEpochsEquivocation: number;
  jailEpochsDowntime: number;
  /** Evidence older than this many Delivery heights is stale (the unbonding period in heights). */
  unbondingHeights: number;
}

/** A preset's genesis files (BTTC's, in config/genesis/): absolute paths once loaded. */
export interface PresetGenesis {
  /** The geth-format Bttc genesis. */
  bttc: string;
  /** The Heimdall-format Delivery genesis. */
  delivery: string;
}

export interface NodeConfig {
  network: string;
  /** The network's genesis files (mainnet, Donau); null when the node file must name one (devnet). */
  genesis?: PresetGenesis | null;
  bttc: BttcLayerConfig;
  delivery: DeliveryConfig;
  checkpoint: CheckpointConfig;
  rootChains: RootChainConfig[];
  staking: StakingConfig;
  governance: GovernanceConfig;
  slashing: SlashingConfig;
}
