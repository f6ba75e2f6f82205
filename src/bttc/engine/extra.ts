/**
 * Header `extra`: 32-byte vanity ‖ producer list ‖ 65-byte seal. The producer list is present only
 * in the last block of a sprint ((n+1) % sprint == 0) and names the next sprint's producers sorted
 * by address, each `address(20) ‖ power(20, big-endian)` (Bor's `Validator.HeaderBytes`).
 */
import { compareBytes, bytesToBigInt, bytesToHex, uintToBytes } from '../../util/bytes.ts';
import type { ProducerEntry } from './types.ts';

export const EXTRA_VANITY = 32;
export const EXTRA_SEAL = 65;
export const PRODUCER_BYTES = 40;

export function isSprintEnd(number: bigint, sprint: number): boolean {
  return (number + 1n) % BigInt(sprint) === 0n;
}

export function isSprintStart(number: bigint, sprint: number): boolean {
  return number % BigInt(sprint) === 0n;
}

/** Sorted by address (ascending bytes), as Bor writes them. */
export function sortProducers(list: readonly ProducerEntry[]): ProducerEntry[] {
  return [...list].sort((a, b) => compareBytes(a.address, b.address));
}

export function encodeProducers(list: readonly ProducerEntry[]): Uint8Array {
  const sorted = sortProducers(list);
  const out = new Uint8Array(sorted.length * PRODUCER_BYTES);
  sorted.forEach((p, i) => {
    if (p.address.length !== 20) throw new Error(`producer ${i}: address must be 20 bytes, got ${p.address.length}`);
    if (p.power <= 0n) throw new Error(`producer ${bytesToHex(p.address)}: power must be positive, got ${p.power}`);
    out.set(p.address, i * PRODUCER_BYTES);
    out.set(uintToBytes(p.power, 20), i * PRODUCER_BYTES + 20);
  });
  return out;
}

export function decodeProducers(bytes: Uint8Array): ProducerEntry[] {
  if (bytes.length % PRODUCER_BYTES !== 0) throw new Error(`producer list is ${bytes.length} bytes, not a multiple of ${PRODUCER_BYTES}`);
  const out: ProducerEntry[] = [];
  for (let off = 0; off < bytes.length; off += PRODUCER_BYTES) {
    out.push({ address: bytes.slice(off, off + 20), power: bytesToBigInt(bytes.subarray(off + 20, off + PRODUCER_BYTES)) });
  }
  return out;
}

/** `extra` with a zero seal placeholder, ready to be sealed. */
export function buildExtra(vanity: Uint8Array, producers: readonly ProducerEntry[] | null): Uint8Array {
  if (vanity.length > EXTRA_VANITY) throw new Error(`vanity is ${vanity.length} bytes, at most ${EXTRA_VANITY}`);
  const list = producers ? encodeProducers(producers) : new Uint8Array(0);
  const out = new Uint8Array(EXTRA_VANITY + list.length + EXTRA_SEAL);
  out.set(vanity, 0);
  out.set(list, EXTRA_VANITY);
  return out;
}

export interface ParsedExtra {
  vanity: Uint8Array;
  /** Raw producer-list bytes (empty outside sprint ends). */
  producerBytes: Uint8Array;
  seal: Uint8Array;
}

/** Splits `extra`, checking its shape for block `number` (Bor's `validateHeaderExtraField`). */
export function parseExtra(extra: Uint8Array, number: bigint, sprint: number): ParsedExtra {
  if (extra.length < EXTRA_VANITY) throw new Error(`extra is ${extra.length} bytes: missing the ${EXTRA_VANITY}-byte vanity`);
  if (extra.length < EXTRA_VANITY + EXTRA_SEAL) throw new Error(`extra is ${extra.length} bytes: missing the ${EXTRA_SEAL}-byte seal`);
  const producerBytes = extra.subarray(EXTRA_VANITY, extra.length - EXTRA_SEAL);
  if (isSprintEnd(number, sprint)) {
    if (producerBytes.length === 0 || producerBytes.length % PRODUCER_BYTES !== 0)
      throw new Error(`sprint-end block ${number}: producer list is ${producerBytes.length} bytes, expected a positive multiple of ${PRODUCER_BYTES}`);
  } else if (producerBytes.length !== 0) {
    throw new Error(`block ${number} is not a sprint end but carries ${producerBytes.length} bytes of producer list`);
  }
  return { vanity: extra.subarray(0, EXTRA_VANITY), producerBytes, seal: extra.subarray(extra.length - EXTRA_SEAL) };
}
