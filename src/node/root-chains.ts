/**
 * The node's root-chain clients, one per configured chain, in config order; a validator also gets a
 * checkpoint submitter per chain (a follower's clients only read). Spans are seeded from Ethereum
 * block hashes, as BTTC's Delivery does (GetNextSpanSeed reads its Ethereum chain even though TRON is
 * the staking chain); without an Ethereum chain, from the first EVM chain, else the first chain.
 */
import type { Logger } from '../observability/logger.ts';
import type { Registry } from '../observability/metrics.ts';
import type { NodeConfig } from '../config/types.ts';
import { connectRootChain, RootChainSetupError } from '../root/factory.ts';
import type { RootChainClient } from '../root/interface.ts';
import { CheckpointSubmitter } from '../root/submitter.ts';
import { EvmRootChainClient } from '../root/evm-client.ts';
import { StakeVotesReader } from '../root/stake-votes.ts';
import { stakingChainOf } from '../delivery/modules/context.ts';
import type { VotingPowerReader } from '../delivery/modules/staking/voting-power.ts';
import { RootChainWatcher } from '../root/watcher.ts';
import type { RootEvent } from '../root/abi.ts';
import type { KeyValueStore } from '../db/interface.ts';
import type { CheckpointSubmitterLike } from '../delivery/modules/checkpoint/submission.ts';
import { bytesToHex } from '../util/bytes.ts';
import type { NodeSection } from './config.ts';
import { NodeStartError } from './errors.ts';

export interface RootChains {
  clients: Map<number, RootChainClient>;
  submitters: Map<number, CheckpointSubmitterLike>;
  seedClient: RootChainClient | null;
  /** Checkpointed voting power on the staking chain (an EVM one: TRON has no historical calls); null otherwise. */
  votingPower: VotingPowerReader | null;
}

export interface RootChainsDeps {
  logger: Logger;
  metrics: Registry;
  onClose: (name: string, close: () => Promise<void> | void) => void;
}

/** Connects in order, recording each client's close as it goes; a chain that cannot be set up stops the start. */
export async function connectRootChains(config: NodeConfig, node: NodeSection, signerKey: Uint8Array | null, deps: RootChainsDeps): Promise<RootChains> {
  const { logger, metrics, onClose } = deps;
  const clients = new Map<number, RootChainClient>();
  const submitters = new Map<number, CheckpointSubmitterLike>();
  for (const [i, rc] of config.rootChains.entries()) {
    const client = await connectRootChain(
      rc,
      `rootChains[${i}]`,
      { privateKey: signerKey ? bytesToHex(signerKey) : null, tronMaxFeeLimitSun: node.tron.maxFeeLimitSun, tronApiKey: node.tron.apiKey ?? process.env.TRON_PRO_API_KEY ?? null },
      { logger },
    ).catch((err: Error) => {
      throw err instanceof RootChainSetupError ? new NodeStartError(err.message) : err;
    });
    onClose(`root client ${rc.name}`, () => client.close());
    clients.set(rc.id, client);
    if (signerKey) submitters.set(rc.id, new CheckpointSubmitter({ receiptTimeoutMs: 30_000, receiptPollMs: 500 }, { client, logger, metrics }));
  }
  const seedChain = spanSeedChain(config);
  const seedClient = seedChain ? (clients.get(seedChain.id) ?? null) : null;
  const staking = clients.get(stakingChainOf(config));
  const votingPower = staking instanceof EvmRootChainClient ? new StakeVotesReader({ provider: staking.provider, stakeManager: staking.contracts.stakeManager }) : null;
  return { clients, submitters, seedClient, votingPower };
}

/** The root chain whose block hashes seed spans: Ethereum (id 2) when configured, as BTTC. */
export function spanSeedChain(config: Pick<NodeConfig, 'rootChains'>): NodeConfig['rootChains'][number] | undefined {
  const chains = config.rootChains;
  return chains.find((c) => c.id === 2 && c.kind !== 'tron') ?? chains.find((c) => c.kind !== 'tron') ?? chains[0];
}

/**
 * Root-chain watchers feed Delivery's pool. A follower runs them too: it never proposes or votes
 * with the pool, but its cursor stays current, so adding keys later does not rescan.
 */
export function startRootWatchers(
  config: NodeConfig,
  node: NodeSection,
  deps: { clients: Map<number, RootChainClient>; db: KeyValueStore; onEvent: (ev: RootEvent) => Promise<void>; logger: Logger; metrics: Registry; onClose: RootChainsDeps['onClose'] },
): void {
  for (const rc of config.rootChains) {
    const client = deps.clients.get(rc.id);
    if (!client) throw new NodeStartError(`root chain ${rc.name}: no client was connected`);
    const startBlock = node.rootChains.find((r) => r.id === rc.id)?.startBlock ?? 0;
    const watcher = new RootChainWatcher(
      { confirmations: rc.confirmations, startBlock, pollIntervalMs: 1000 },
      { client, db: deps.db, onEvent: deps.onEvent, logger: deps.logger, metrics: deps.metrics },
    );
    watcher.start();
    deps.onClose(`root watcher ${rc.name}`, () => watcher.stop());
  }
}
