/**
 * What one worker round trip costs per payload shape, through piscina as the pools use it: why the
 * verify pool packs a batch into one exact-size buffer instead of posting item arrays.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { newBench, report } from '../bench/lib/harness.ts';
import { runRows, ratio, isMain } from './common.ts';

const small = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const set = () => [small(32, 1), small(64, 2), small(65, 3)];

export async function main(): Promise<void> {
  const pool = new Piscina({ filename: fileURLToPath(new URL('./echo-worker.ts', import.meta.url)), minThreads: 1, maxThreads: 1, idleTimeout: 2 ** 31 - 1 });
  await pool.run(null);
  const oneSet = set();
  const sets128 = Array.from({ length: 128 }, set).flat();
  const PACKED = 128 * 180; // 22.5 KB: 128 × (digest 32 + sig 64 + key 65 + header)
  const packed = small(PACKED, 7);
  const big = new Uint8Array(1 << 20);
  const viewOfBig = big.subarray(0, PACKED);
  const slabby = Buffer.from('00'.repeat(32), 'hex'); // a small Buffer on the shared 8 KB pool slab

  const bench = newBench();
  bench
    .add('null', () => pool.run(null))
    .add('1 set as 3 small Uint8Arrays', () => pool.run(oneSet))
    .add('128 sets as 384 small Uint8Arrays', () => pool.run(sets128))
    .add('128 sets packed in one 22.5 KB Uint8Array (cloned)', () => pool.run(packed))
    .add('128 sets packed, fresh 22.5 KB buffer transferred', () => {
      const b = new Uint8Array(PACKED);
      return pool.run(b, { transferList: [b.buffer] });
    })
    .add('22.5 KB view into a 1 MB buffer (clones all 1 MB)', () => pool.run(viewOfBig))
    .add('32-byte Buffer.from (drags its 8 KB slab)', () => pool.run(slabby));
  const r = await runRows(bench);
  await pool.destroy();
  const us = Object.fromEntries([...r.values()].map((row) => [row.name, row.medianMs * 1000]));
  report('native-transport', {
    rows: [...r.values()].map((row) => ({ ...row, roundTripUs: row.medianMs * 1000 })),
    ratios: {
      '384 small arrays / packed cloned': ratio(r, '128 sets as 384 small Uint8Arrays', '128 sets packed in one 22.5 KB Uint8Array (cloned)'),
      'packed cloned / null': ratio(r, '128 sets packed in one 22.5 KB Uint8Array (cloned)', 'null'),
      'packed transferred / null': ratio(r, '128 sets packed, fresh 22.5 KB buffer transferred', 'null'),
      'view of 1 MB / packed cloned': ratio(r, '22.5 KB view into a 1 MB buffer (clones all 1 MB)', '128 sets packed in one 22.5 KB Uint8Array (cloned)'),
    },
    notes: Object.entries(us).map(([k, v]) => `${k}: ${v.toFixed(1)} µs per round trip`),
  });
}

if (isMain(import.meta.url)) await main();
