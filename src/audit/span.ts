/**
 * `audit span`: Delivery's producers for a span, recomputed. Delivery freezes span k (bor keeper
 * FreezeSet) with the validator set of that moment and producers drawn by SelectNextProducers from
 * the span-eligible validators (current, endEpoch 0, by signer) and a seed. Both the set and the
 * producers are in `bor/span/{id}`; the seed is not. BTTC's seed is the hash of Ethereum block
 * lastEthBlock + 1, and lastEthBlock counts the spans frozen since genesis (BTTC's genesis holds span
 * 0 only), so span k's seed is Ethereum block k: `--root-rpc` fetches it (`--seed-block` when a
 * network started from a later genesis), or `--seed` gives it. `bor/next-span-seed` is the seed of
 * the span not yet frozen, so it cannot serve a past one. With at most producer-count eligible
 * validators (BTTC mainnet) there is no draw: every eligible validator produces with its own power,
 * and no seed is needed.
 *
 * Not covered: spans that BTTC mainnet froze before Delivery height 375300 with more eligible
 * validators than producers were drawn by an older algorithm (XXXSelectNextProducers, a shuffle).
 */
import { selectNextProducers } from '../protocol/span/selection.ts';
import { makeValidator, type Validator } from '../protocol/validators/validator.ts';
import { hexToBytes } from '../util/bytes.ts';
import type { DeliveryRest, DeliveryValidator } from './delivery-rest.ts';
import { AuditError, type SpanAuditResult, type SpanProducer } from './interface.ts';

export interface SpanAuditInput {
  spanId: number;
  /** 32-byte 0x hex; else asked of `seedSource` when the draw needs one. */
  seed?: string;
  /** Else `bor/params`' producer_count. */
  producerCount?: number;
}

export interface SpanAuditDeps {
  rest: DeliveryRest;
  /** The seed of span `spanId` from the seed chain (a block hash), when one is configured. */
  seedSource?: ((spanId: number) => Promise<string>) | null;
}

const jsonInt = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

/** Delivery's GetSpanEligibleValidators over a span's validator set: by signer, as Delivery iterates. */
export function spanEligible(validators: readonly DeliveryValidator[]): DeliveryValidator[] {
  return validators.filter((v) => v.endEpoch === 0n && !v.jailed && v.power > 0n).sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0));
}

function producer(v: { id: number; signer: string; power: bigint }): SpanProducer {
  return { id: v.id, signer: v.signer, power: jsonInt(v.power) };
}

function sameProducers(a: readonly SpanProducer[], b: readonly SpanProducer[]): boolean {
  return a.length === b.length && a.every((p, i) => p.id === b[i]!.id && p.signer === b[i]!.signer && String(p.power) === String(b[i]!.power));
}

export async function auditSpan(input: SpanAuditInput, deps: SpanAuditDeps): Promise<SpanAuditResult> {
  if (input.seed !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(input.seed)) throw new AuditError(`--seed: expected a 32-byte 0x-hex block hash, got ${JSON.stringify(input.seed)}`);
  const [span, params] = await Promise.all([deps.rest.span(input.spanId), input.producerCount === undefined ? deps.rest.borParams() : Promise.resolve(null)]);
  const count = input.producerCount ?? params?.producerCount;
  if (count === undefined) throw new AuditError(`${deps.rest.name}: bor/params is not served, so the producer count is unknown: give --producer-count (11 on BTTC mainnet)`);

  const eligible = spanEligible(span.validators);
  const needsDraw = eligible.length > count;
  let seed: string | null = input.seed?.toLowerCase() ?? null;
  if (seed === null && deps.seedSource) seed = (await deps.seedSource(input.spanId)).toLowerCase();
  if (needsDraw && seed === null) {
    throw new AuditError(
      `span ${input.spanId} has ${eligible.length} eligible validators for ${count} producer slots, so its producers were drawn with a seed that Delivery's REST does not serve for a past span: give --seed 0x… or --root-rpc URL (BTTC seeds span k with the hash of Ethereum block k)`,
    );
  }
  let candidates: Validator[];
  try {
    candidates = eligible.map((v) => makeValidator({ id: v.id, signer: v.signer, votingPower: v.power }));
  } catch (err) {
    throw new AuditError(`${deps.rest.name}: span ${input.spanId} validator_set: ${(err as Error).message}`);
  }
  const { producers } = selectNextProducers(seed ? hexToBytes(seed) : new Uint8Array(32), candidates, count);
  const recomputed = producers.map((p) => producer({ id: p.id, signer: p.signer, power: p.votingPower }));
  const claimed = span.selectedProducers.map(producer);
  return { span: span.id, seed, producers: claimed, recomputed, match: sameProducers(claimed, recomputed) };
}
