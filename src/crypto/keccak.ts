/**
 * keccak256. Served by the project's own N-API addon (src/crypto/native, built by `npm ci` through
 * binding.gyp) whose batch entry point hashes many fixed-size records in one call: a whole Merkle
 * layer per call instead of one N-API crossing (~1–1.6 µs) per node. When the addon is missing the
 * single hash falls back to the `keccak` package's native sponge (four N-API calls per hash) or
 * @noble/hashes, and the batch loops over records; `keccakBackend` says which, and the node warns.
 *
 * BTTC_KECCAK_BACKEND=js forces the fallback (tests of the fallback path, benches).
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keccak_256 } from '@noble/hashes/sha3.js';

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface KeccakAddon {
  keccak256(input: Uint8Array, out: Uint8Array): void;
  keccak256Records(input: Uint8Array, recordSize: number, out: Uint8Array): number;
}

interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

function loadAddon(): { addon: KeccakAddon | null; error?: string } {
  if (process.env.BTTC_KECCAK_BACKEND === 'js') return { addon: null, error: 'disabled by BTTC_KECCAK_BACKEND=js' };
  const errors: string[] = [];
  for (const build of ['Release', 'Debug']) {
    const file = join(repoRoot, 'build', build, 'bttc_keccak.node');
    try {
      return { addon: require(file) as KeccakAddon };
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { addon: null, error: `native batch keccak addon not built (run \`npm rebuild\` or \`npx node-gyp rebuild\`): ${errors[0]}` };
}

function loadSponge(): (new () => KeccakSponge) | null {
  try {
    const gypBuild = require('node-gyp-build') as (dir: string) => unknown;
    const addon = gypBuild(dirname(require.resolve('keccak/package.json')));
    return typeof addon === 'function' ? (addon as new () => KeccakSponge) : null;
  } catch {
    return null;
  }
}

const loaded = loadAddon();
const addon = loaded.addon;
const Sponge = addon ? null : loadSponge();
const sponge = Sponge ? new Sponge() : null;

/** 'native': the project's batch addon; 'js': a fallback (see `keccakImplementation`). */
export const keccakBackend: 'native' | 'js' = addon ? 'native' : 'js';
/** Which code hashes: the project addon, the `keccak` package's native sponge, or @noble/hashes. */
export const keccakImplementation: 'bttc-addon' | 'keccak-package' | 'noble' = addon ? 'bttc-addon' : sponge ? 'keccak-package' : 'noble';
export const keccakLoadError: string | undefined = loaded.error;

function spongeHash(data: Uint8Array): Uint8Array {
  const s = sponge!;
  s.initialize(1088, 512);
  s.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  s.absorbLastFewBits(1);
  const out = s.squeeze(32);
  return new Uint8Array(out.buffer, out.byteOffset, 32);
}

/** keccak256 of one input; a fresh 32-byte Uint8Array. */
export const keccak256: (data: Uint8Array) => Uint8Array = addon
  ? (data) => {
      const out = new Uint8Array(32);
      addon.keccak256(data, out);
      return out;
    }
  : sponge
    ? spongeHash
    : (data) => keccak_256(data);

/**
 * Hashes `count` consecutive records of `recordSize` bytes from `input` and returns count×32 bytes
 * (into `out` when given, which must hold count×32 bytes and not overlap `input` unless
 * recordSize ≥ 32 and out starts at input's start). This is the per-layer fast path.
 */
export function keccak256Batch(input: Uint8Array, recordSize: number, out?: Uint8Array): Uint8Array {
  if (!Number.isInteger(recordSize) || recordSize <= 0 || input.length % recordSize !== 0)
    throw new RangeError(`keccak256Batch: input length ${input.length} is not a multiple of record size ${recordSize}`);
  const count = input.length / recordSize;
  if (out && out.length < count * 32) throw new RangeError(`keccak256Batch: out holds ${out.length} bytes, need ${count * 32}`);
  const dest = out ?? new Uint8Array(count * 32);
  if (addon) {
    addon.keccak256Records(input, recordSize, dest);
    return dest;
  }
  for (let i = 0; i < count; i++) dest.set(keccak256(input.subarray(i * recordSize, (i + 1) * recordSize)), i * 32);
  return dest;
}
