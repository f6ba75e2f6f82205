/**
 * One `Common` per chain, shared by every transaction, header and VM object of that chain.
 *
 * Stock EthereumJS copies `Common` for every transaction and header it creates and re-merges the
 * parameter dictionaries into the copy (`updateParams` → JSON round trip + `_buildParamsCache`), which
 * costs more than executing a plain transfer. `SharedCommon` makes `copy()` return the instance itself
 * and merges each parameter dictionary once (by identity: the packages pass module-level constants),
 * and memoises the hardfork-order and consensus lookups that runTx repeats per transaction.
 *
 * Hardfork: Berlin. BTTC (a Bor fork) never activated London, and in EthereumJS London is where
 * EIP-1559 (header baseFeePerGas) comes in, so Berlin is the latest hardfork that runs without a base
 * fee. Later EIPs that do not depend on London (e.g. 3855 PUSH0) can be switched on with `eips`.
 */
import { Common, Mainnet, createCustomCommon, type ChainConfig } from '@ethereumjs/common';
import { ecrecover, keccak256 } from './crypto.ts';

export const BTTC_HARDFORK = 'berlin';

const PRE_LONDON = ['chainstart', 'homestead', 'dao', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople', 'petersburg', 'istanbul', 'muirGlacier', 'berlin'];

export interface CommonOptions {
  chainId: number | bigint;
  name?: string;
  /** Defaults to Berlin; anything from London on needs base-fee support that this executor does not build. */
  hardfork?: string;
  /** Extra EIPs on top of the hardfork, e.g. [3855] for PUSH0. */
  eips?: number[];
  /** false = EthereumJS's default JS crypto (used by the stock-path benchmark). */
  nativeCrypto?: boolean;
}

type ParamsDict = Parameters<Common['updateParams']>[0];

export class SharedCommon extends Common {
  private mergedParams = new Set<unknown>();
  private gteCache = new Map<string, boolean>();
  private consensusTypeCache: string | undefined;
  private consensusAlgorithmCache: string | undefined;

  override copy(): this {
    return this;
  }

  override updateParams(params: ParamsDict): void {
    // Merge only dictionaries not seen before; a new dictionary (or a changed one) still merges.
    if (this.mergedParams?.has(params)) return;
    super.updateParams(params);
    this.mergedParams?.add(params);
  }

  override setHardfork(hardfork: string): void {
    this.gteCache?.clear();
    this.consensusTypeCache = undefined;
    this.consensusAlgorithmCache = undefined;
    super.setHardfork(hardfork);
  }

  override hardforkGteHardfork(hardfork1: string | null, hardfork2: string): boolean {
    const key = `${hardfork1 ?? ''}|${hardfork2}`;
    let v = this.gteCache?.get(key);
    if (v === undefined) {
      v = super.hardforkGteHardfork(hardfork1, hardfork2);
      this.gteCache?.set(key, v);
    }
    return v;
  }

  override consensusType(): string {
    return (this.consensusTypeCache ??= super.consensusType());
  }

  override consensusAlgorithm(): string {
    return (this.consensusAlgorithmCache ??= super.consensusAlgorithm());
  }
}

export function chainConfig(opts: CommonOptions): Partial<ChainConfig> {
  const hardfork = opts.hardfork ?? BTTC_HARDFORK;
  const idx = PRE_LONDON.indexOf(hardfork);
  if (idx < 0) throw new Error(`executor: hardfork ${JSON.stringify(hardfork)} is not supported; use one of ${PRE_LONDON.join(', ')} (BTTC has no London/base fee)`);
  return {
    name: opts.name ?? `bttc-${opts.chainId}`,
    chainId: Number(opts.chainId),
    defaultHardfork: hardfork,
    // Neither PoW (no block rewards, no ethash checks) nor Clique (no clique signer as fee recipient):
    // Bor pays fees to the header's author, which the executor passes in as the execution coinbase.
    consensus: { type: 'bor', algorithm: 'bor' },
    hardforks: PRE_LONDON.slice(0, idx + 1).map((name) => ({ name, block: 0 })),
  } as unknown as Partial<ChainConfig>;
}

/** The shared, native-crypto Common for a chain. */
export function createBttcCommon(opts: CommonOptions): SharedCommon {
  const base = createCustomCommon(chainConfig(opts), Mainnet, {
    hardfork: opts.hardfork ?? BTTC_HARDFORK,
    eips: opts.eips ?? [],
    ...(opts.nativeCrypto === false ? {} : { customCrypto: { keccak256, ecrecover } }),
  });
  // Re-home the instance on SharedCommon's prototype rather than re-running the constructor, which would
  // need the full chain config twice; every field is the constructed instance's own.
  const shared = Object.assign(Object.create(SharedCommon.prototype) as SharedCommon, base);
  (shared as unknown as { mergedParams: Set<unknown>; gteCache: Map<string, boolean> }).mergedParams = new Set();
  (shared as unknown as { gteCache: Map<string, boolean> }).gteCache = new Map();
  return shared;
}

/** A plain EthereumJS Common for the same chain (default JS crypto): the stock path the bench compares to. */
export function createStockCommon(opts: CommonOptions): Common {
  return createCustomCommon(chainConfig(opts), Mainnet, { hardfork: opts.hardfork ?? BTTC_HARDFORK, eips: opts.eips ?? [] });
}
