/**
 * A bit-exact port of Go's math/rand source (`rngSource` in math/rand/rng.go, the generator behind
 * `rand.New(rand.NewSource(seed))` and the pre-1.20 global `rand.Seed`): an additive lagged
 * Fibonacci generator over 607 int64 words, seeded through Park–Miller steps XORed with the cooked
 * table. Heimdall/Delivery's span producer selection depends on its exact output (spec §7).
 */
import { RNG_COOKED } from './rng-cooked.ts';
import { seedrand } from './gen-cooked.ts';

const LEN = 607;
const TAP = 273;
const INT32_MAX = 2147483647;
const MASK64 = (1n << 64n) - 1n;

export class GoRand {
  private readonly vec = new BigUint64Array(LEN);
  private tap = 0;
  private feed = LEN - TAP;

  constructor(seed: bigint | number) {
    this.seed(seed);
  }

  /** rngSource.Seed: `seed` is an int64. */
  seed(seedIn: bigint | number): void {
    const seed64 = BigInt.asIntN(64, BigInt(seedIn));
    this.tap = 0;
    this.feed = LEN - TAP;
    // Go's % truncates toward zero, like bigint's.
    let s = seed64 % BigInt(INT32_MAX);
    if (s < 0n) s += BigInt(INT32_MAX);
    if (s === 0n) s = 89482311n;
    let x = Number(s);
    for (let i = -20; i < LEN; i++) {
      x = seedrand(x);
      if (i >= 0) {
        let u = BigInt.asIntN(64, BigInt(x) << 40n);
        x = seedrand(x);
        u ^= BigInt(x) << 20n;
        x = seedrand(x);
        u ^= BigInt(x);
        u ^= RNG_COOKED[i]!;
        this.vec[i] = BigInt.asUintN(64, u);
      }
    }
  }

  /** rngSource.Uint64 (what rand.Uint64 returns for this source). */
  uint64(): bigint {
    if (--this.tap < 0) this.tap += LEN;
    if (--this.feed < 0) this.feed += LEN;
    const x = (this.vec[this.feed]! + this.vec[this.tap]!) & MASK64;
    this.vec[this.feed] = x;
    return x;
  }

  /** rngSource.Int63. */
  int63(): bigint {
    return this.uint64() & ((1n << 63n) - 1n);
  }
}

/** Delivery's span seed: int64(bigEndianUint64(seed[0:8])) of a 32-byte block hash. */
export function seedFromHash(hash: Uint8Array): bigint {
  if (hash.length < 8) throw new RangeError(`span seed: need at least 8 bytes, got ${hash.length}`);
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(hash[i]!);
  return BigInt.asIntN(64, v);
}
