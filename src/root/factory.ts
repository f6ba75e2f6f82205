/**
 * One configured root chain → its client, so the composition root never names a client class. The
 * preset says the kind: `evm` (Ethereum, BSC, the embedded dev chain; ethers over JSON-RPC) or
 * `tron` (tronweb over the full node's HTTP wallet API, e.g. https://api.trongrid.io). Each client is
 * asked for the chain head once before it is handed out, so an unreachable or wrong endpoint stops
 * the start with its URL named instead of surfacing later as watcher retries.
 */
import type { RootChainConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { EvmRootChainClient } from './evm-client.ts';
import type { RootChainClient } from './interface.ts';
import { TronRootChainClient } from './tron-client.ts';

/** A root chain the node cannot use as configured; the message names the field or the URL. */
export class RootChainSetupError extends Error {
  override name = 'RootChainSetupError';
}

export interface RootClientSettings {
  /** Key that pays for checkpoint transactions (0x hex); null builds a read-only client (a follower). */
  privateKey: string | null;
  /** TRON: the most one checkpoint transaction may burn for energy, in sun. */
  tronMaxFeeLimitSun: bigint;
  /** TRON: TronGrid API key, sent as the TRON-PRO-API-KEY header (TronGrid throttles keyless calls). */
  tronApiKey?: string | null;
}

/**
 * Builds and probes the client of `rc`; `where` is how the config names it (`rootChains[0]`).
 * Throws RootChainSetupError for a missing address or URL and for an endpoint that does not answer.
 */
export async function connectRootChain(rc: RootChainConfig, where: string, settings: RootClientSettings, deps: { logger: Logger }): Promise<RootChainClient> {
  // stakingInfo is required: staking events come from there, so without it no stake change is ever seen.
  for (const f of ['stakeManager', 'rootChain', 'stateSender', 'stakingInfo', 'rpcUrl'] as const) {
    if (!rc[f]) throw new RootChainSetupError(`${where}.${f} (${rc.name}) is not set: give it under "set" in the config file`);
  }
  const contracts = { stakeManager: rc.stakeManager!, rootChain: rc.rootChain!, stateSender: rc.stateSender!, stakingInfo: rc.stakingInfo!, ...(rc.governor ? { governor: rc.governor } : {}) };
  const unreachable = (err: Error) => new RootChainSetupError(`${where} (${rc.name}): cannot reach ${rc.rpcUrl}: ${err.message}`);
  if (rc.kind === 'tron') {
    let client: TronRootChainClient;
    try {
      client = new TronRootChainClient(
        {
          fullHost: rc.rpcUrl!,
          rootChainId: rc.id,
          contracts,
          maxFeeLimitSun: settings.tronMaxFeeLimitSun,
          ...(settings.tronApiKey ? { headers: { 'TRON-PRO-API-KEY': settings.tronApiKey } } : {}),
          ...(settings.privateKey ? { privateKey: settings.privateKey } : {}),
        },
        { logger: deps.logger },
      );
    } catch (err) {
      // tronweb refuses some URLs the config accepts; the client refuses addresses it cannot read.
      throw new RootChainSetupError(`${where} (${rc.name}): ${(err as Error).message}`);
    }
    // The tronweb constructor does no I/O: ask for the head once.
    await client.blockNumber().catch((err: Error) => {
      throw unreachable(err);
    });
    return client;
  }
  return EvmRootChainClient.connect({ rpcUrl: rc.rpcUrl!, rootChainId: rc.id, contracts, ...(settings.privateKey ? { privateKey: settings.privateKey } : {}) }, { logger: deps.logger }).catch(
    (err: Error) => {
      throw unreachable(err);
    },
  );
}
