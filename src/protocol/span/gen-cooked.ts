/**
 * Regenerates Go's `rngCooked` table (math/rand/rng.go) from the algorithm Go documents in
 * math/rand/gen_cooked.go: seed the additive lagged-Fibonacci generator with srand(1) and take its
 * 607-word state after 7.8e12 steps. Go ran those steps one by one; we jump there instead: the
 * generator is linear over Z/2^64 with characteristic polynomial x^607 − x^334 − 1, so the value
 * written at step T is Σ c_i·z_i where Σ c_i·x^i = x^T mod that polynomial (square-and-multiply).
 *
 * Run: node src/protocol/span/gen-cooked.ts > src/protocol/span/rng-cooked.ts
 * The test suite calls `computeRngCooked()` and compares with the committed table.
 */
import { fileURLToPath } from 'node:url';

const LEN = 607;
const TAP = 273;
const STEPS = 7_800_000_000_000n;
const M = 2147483647; // 2^31 − 1

/** Schrage's x·48271 mod (2^31 − 1), exactly as gen_cooked.go's int32 code. */
export function seedrand(x: number): number {
  const hi = Math.trunc(x / 44488);
  const lo = x % 44488;
  let r = 48271 * lo - 3399 * hi;
  if (r < 0) r += M;
  return r;
}

/** gen_cooked.go's srand: the state before any step (note its 20/10-bit shifts, unlike rng.go's 40/20). */
function srandState(seed: number): bigint[] {
  let s = seed % M;
  if (s < 0) s += M;
  else if (s === 0) s = 89482311;
  let x = s;
  const vec: bigint[] = new Array(LEN);
  for (let i = -20; i < LEN; i++) {
    x = seedrand(x);
    if (i >= 0) {
      let u = BigInt(x) << 20n;
      x = seedrand(x);
      u ^= BigInt(x) << 10n;
      x = seedrand(x);
      u ^= BigInt(x);
      vec[i] = u;
    }
  }
  return vec;
}

const MASK64 = (1n << 64n) - 1n;

/**
 * Multiplies polynomials of degree < 607 with coefficients mod 2^64 and reduces by
 * x^607 = x^334 + 1. Coefficients are split in 16-bit limbs so every partial sum stays an exact
 * double (607 · 2^32 < 2^53); BigInt only recombines.
 */
function mulMod(a: bigint[], b: bigint[]): bigint[] {
  const limbs = (p: bigint[]): Float64Array[] => {
    const out = [0, 1, 2, 3].map(() => new Float64Array(LEN));
    for (let i = 0; i < LEN; i++) {
      const v = p[i]!;
      if (v === 0n) continue;
      const lo = Number(v & 0xffffffffn);
      const hi = Number(v >> 32n);
      out[0]![i] = lo & 0xffff;
      out[1]![i] = lo >>> 16;
      out[2]![i] = hi & 0xffff;
      out[3]![i] = hi >>> 16;
    }
    return out;
  };
  const A = limbs(a);
  const B = limbs(b);
  const prod = new Array<bigint>(2 * LEN - 1).fill(0n);
  // Limb pairs whose weight 2^(16·(p+q)) is below 2^64.
  for (let p = 0; p < 4; p++) {
    for (let q = 0; p + q < 4; q++) {
      const ap = A[p]!;
      const bq = B[q]!;
      const conv = new Float64Array(2 * LEN - 1);
      for (let i = 0; i < LEN; i++) {
        const x = ap[i]!;
        if (x === 0) continue;
        for (let j = 0; j < LEN; j++) conv[i + j]! += x * bq[j]!;
      }
      const shift = BigInt(16 * (p + q));
      for (let k = 0; k < conv.length; k++) if (conv[k] !== 0) prod[k] = prod[k]! + (BigInt(conv[k]!) << shift);
    }
  }
  for (let k = 2 * LEN - 2; k >= LEN; k--) {
    const c = prod[k]! & MASK64;
    if (c === 0n) continue;
    prod[k - LEN] = prod[k - LEN]! + c;
    prod[k - TAP] = prod[k - TAP]! + c;
  }
  return prod.slice(0, LEN).map((v) => v & MASK64);
}

function mulX(a: bigint[]): bigint[] {
  const top = a[LEN - 1]!;
  const out = new Array<bigint>(LEN);
  out[0] = top;
  for (let i = 1; i < LEN; i++) out[i] = a[i - 1]!;
  out[LEN - TAP] = (out[LEN - TAP]! + top) & MASK64; // x^607 → x^334 + 1
  return out;
}

/** Go's rngCooked as signed int64 values. */
export function computeRngCooked(steps: bigint = STEPS): bigint[] {
  const vec0 = srandState(1);
  // z_j: the values in the order the generator consumes them. Step k (from 0) writes slot
  // (333 − k) mod 607 as z_{k+607} = z_k + z_{k+334}; z_0..z_606 are the initial slots.
  const slotOf = (j: bigint): number => Number((((333n - j) % 607n) + 607n) % 607n);
  const z = Array.from({ length: LEN }, (_, j) => vec0[slotOf(BigInt(j))]!);
  // x^T mod p for T = steps + 0 … steps + 606: slot s holds the last value written there.
  let pow: bigint[] = new Array<bigint>(LEN).fill(0n);
  pow[0] = 1n;
  for (let bit = BigInt(steps.toString(2).length - 1); bit >= 0n; bit--) {
    pow = mulMod(pow, pow);
    if ((steps >> bit) & 1n) pow = mulX(pow);
  }
  const out = new Array<bigint>(LEN);
  for (let t = 0; t < LEN; t++) {
    let acc = 0n;
    for (let i = 0; i < LEN; i++) if (pow[i] !== 0n) acc += pow[i]! * z[i]!;
    // z_T was written at step k = T − 607; T = steps + t.
    out[slotOf(steps + BigInt(t))] = BigInt.asIntN(64, acc);
    pow = mulX(pow);
  }
  return out;
}

/** Runs the generator step by step (for checking the jump on small step counts). */
export function computeRngCookedNaive(steps: number): bigint[] {
  const vec = srandState(1);
  let tap = 0;
  let feed = LEN - TAP;
  for (let i = 0; i < steps; i++) {
    if (--tap < 0) tap += LEN;
    if (--feed < 0) feed += LEN;
    vec[feed] = (vec[feed]! + vec[tap]!) & MASK64;
  }
  return vec.map((v) => BigInt.asIntN(64, v));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const table = computeRngCooked();
  const lines = [
    '/**',
    " * Go's math/rand `rngCooked`: the state of its additive lagged-Fibonacci generator after 7.8e12",
    " * steps from srand(1). Generated by gen-cooked.ts (a jump-ahead of the algorithm in Go's",
    ' * gen_cooked.go); test/protocol/go-rand.test.ts regenerates and compares it.',
    ' */',
    'export const RNG_COOKED: readonly bigint[] = [',
    ...table.map((v) => `  ${v}n,`),
    '];',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
