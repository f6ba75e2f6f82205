/** What every Delivery module sees while validating or applying one block. */
import type { NodeConfig } from '../../config/types.ts';

export interface ModuleContext {
  config: NodeConfig;
  /** TRON's id (1) when configured, else the first configured root chain: its acks drive epochs and the proposer. */
  stakingChainId: number;
  /** The block being validated or applied. */
  height: number;
  /** Its time, ms. */
  blockTime: number;
}

/** What applying one transaction did. `stale`: never applicable (marked processed); `early`: not yet (kept for later). */
export type ApplyOutcome = 'applied' | 'stale' | 'early' | 'rejected';

/** TRON (id 1) if configured, else the first configured root chain. */
export function stakingChainOf(config: NodeConfig): number {
  if (config.rootChains.length === 0) throw new Error('config.rootChains: Delivery needs at least one root chain');
  const tron = config.rootChains.find((c) => c.kind === 'tron' || c.id === 1);
  return (tron ?? config.rootChains[0]!).id;
}

export function isConfiguredRootChain(config: NodeConfig, id: number): boolean {
  return config.rootChains.some((c) => c.id === id);
}

/** Root-event args arrive as bigint (ethers); this turns one into a safe integer or says which field is wrong. */
export function argNumber(args: Record<string, unknown>, name: string, event: string): number {
  const v = args[name];
  const n = typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
  if (n === null || n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${event}: argument ${name} must be a non-negative integer below 2^53, got ${String(v)}`);
  return Number(n);
}

export function argBigInt(args: Record<string, unknown>, name: string, event: string): bigint {
  const v = args[name];
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new Error(`${event}: argument ${name} must be a non-negative integer, got ${String(v)}`);
}

export function argHex(args: Record<string, unknown>, name: string, event: string, bytes?: number): string {
  const v = args[name];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]*$/.test(v) || v.length % 2 !== 0) throw new Error(`${event}: argument ${name} must be 0x-hex, got ${String(v)}`);
  if (bytes !== undefined && v.length !== 2 + bytes * 2) throw new Error(`${event}: argument ${name} must be ${bytes} bytes, got ${(v.length - 2) / 2}`);
  return v.toLowerCase();
}
