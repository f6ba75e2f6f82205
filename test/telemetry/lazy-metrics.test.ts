/**
 * Telemetry gauges set at scrape time: with telemetryMetrics(reg, refresh) and a lazy collector,
 * heights set no gauge at all; a scrape shows exactly what an eager collector (gauges set every
 * height) shows for the same blocks, and a later scrape shows the later heights.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { LevelStore } from '../../src/db/level.ts';
import type { DeliveryBlock } from '../../src/delivery/app/types.ts';
import type { DecidingSet } from '../../src/telemetry/chain/delivery.ts';
import { TelemetryCollector } from '../../src/telemetry/collector.ts';
import { telemetryMetrics } from '../../src/telemetry/metrics.ts';
import { TelemetryStore } from '../../src/telemetry/store.ts';
import { hexToBytes } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';
import { countCalls } from '../helpers/count-calls.ts';

const V = ['0x' + '0a'.repeat(20), '0x' + '0b'.repeat(20), '0x' + '0c'.repeat(20), '0x' + '0d'.repeat(20)];
const SIG = new Uint8Array(65).fill(7);
const setAt = (h: number): DecidingSet => ({
  validators: V.map((v) => ({ address: hexToBytes(v), publicKey: new Uint8Array(65), votingPower: 1 })),
  proposer: (r: number) => ({ address: hexToBytes(V[(h + r) % 4]!), publicKey: new Uint8Array(65), votingPower: 1 }),
});
/** Block h carries height h − 1's precommits; validator C misses every third height, D is down from 10 on. */
const block = (h: number): DeliveryBlock => ({
  height: h,
  time: 2000 * h,
  lastCommit: {
    round: 0,
    votes: (h === 1 ? [] : V.filter((_v, i) => !(i === 2 && (h - 1) % 3 === 0) && !(i === 3 && h - 1 >= 10))).map((v) => ({ validator: hexToBytes(v), extension: new Uint8Array(0), signature: SIG })),
  },
  txs: [],
});

/** The telemetry lines of a scrape, sorted. */
async function telemetryLines(reg: Registry): Promise<string[]> {
  return (await reg.metrics())
    .split('\n')
    .filter((l) => /^bttc_(validator|telemetry)_/.test(l))
    .sort();
}

test('lazy telemetry gauges: no set per height; a scrape equals the eager gauges, before and after more heights', async (t) => {
  const dbLazy = await LevelStore.open(tempDir(t, 'telemetry-lazy'));
  const dbEager = await LevelStore.open(tempDir(t, 'telemetry-eager'));
  t.after(async () => {
    await dbLazy.close();
    await dbEager.close();
  });
  const regLazy = new Registry();
  const regEager = new Registry();
  let lazy: TelemetryCollector | null = null;
  const lazyMetrics = telemetryMetrics(regLazy, () => lazy!.refreshMetrics());
  lazy = new TelemetryCollector({ windowHeights: 8 }, { store: new TelemetryStore(dbLazy), metrics: lazyMetrics, lazyMetrics: true });
  const eager = new TelemetryCollector({ windowHeights: 8 }, { store: new TelemetryStore(dbEager), metrics: telemetryMetrics(regEager) });
  await lazy.open(null);
  await eager.open(null);

  const sets = countCalls(Gauge.prototype, 'set');
  try {
    for (let h = 1; h <= 12; h++) await lazy.onCommitted(block(h), setAt(h));
    assert.equal(sets.count, 0, 'a lazy collector set gauges at a height');
    for (let h = 1; h <= 12; h++) await eager.onCommitted(block(h), setAt(h));
    assert.ok(sets.count > 12 * 4, `the eager collector sets its gauges every height (${sets.count})`);
  } finally {
    sets.restore();
  }
  const first = await telemetryLines(regLazy);
  // C missed heights 3, 6 and 9; D is down from height 10 (10 and 11 counted so far).
  assert.ok(first.includes(`bttc_validator_commits_missed{validator="${V[2]}"} 3`), first.join('\n'));
  assert.ok(first.includes(`bttc_validator_down{validator="${V[3]}"} 1`), first.join('\n'));
  assert.deepEqual(first, await telemetryLines(regEager));
  assert.ok(first.includes('bttc_telemetry_delivery_height 11'), first.join('\n'));

  for (let h = 13; h <= 20; h++) {
    await lazy.onCommitted(block(h), setAt(h));
    await eager.onCommitted(block(h), setAt(h));
  }
  const second = await telemetryLines(regLazy);
  assert.deepEqual(second, await telemetryLines(regEager));
  assert.ok(second.includes('bttc_telemetry_delivery_height 19'), second.join('\n'));
  assert.notDeepEqual(second, first);
});
