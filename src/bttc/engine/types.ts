/**
 * Bttc block header and Bor consensus parameters. The header is a plain object (not an
 * @ethereumjs/block BlockHeader) so that sealing and verification never pay for a `Common` or
 * parameter cache per header; `header.ts` converts to and from RLP.
 */
import type { BttcLayerConfig } from '../../config/types.ts';
import type { HeaderFields } from '../../evm/interface.ts';

/**
 * A pre-London (no base fee) Ethereum header: the 15 fields Bor seals. The executor's HeaderFields is
 * the one definition, so a header passes between executor, engine and chain store without conversion.
 */
export type BttcHeader = HeaderFields;

/** One entry of a producer list: signer address and its power (how often it was drawn). */
export interface ProducerEntry {
  address: Uint8Array;
  power: bigint;
}

/** The Bor parameters the engine needs; seconds. */
export interface BorParams {
  period: number;
  producerDelay: number;
  backupMultiplier: number;
  sprint: number;
  maxFutureBlockTime: number;
  chainId: number;
}

export function borParamsFromConfig(c: BttcLayerConfig): BorParams {
  return {
    period: c.period,
    producerDelay: c.producerDelay,
    backupMultiplier: c.backupMultiplier,
    sprint: c.sprint,
    maxFutureBlockTime: c.maxFutureBlockTime,
    chainId: c.chainId,
  };
}
