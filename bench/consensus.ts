/**
 * Delivery consensus: commit latency per height and verified signatures per second for 4, 21 and 100
 * validators, one real engine with zero network delay so the cost is the node's own work (decode,
 * checks, batch signature verification, signing its own votes, WAL, the upon-rules). Its peers are
 * scripted: their proposals and votes are signed before the clock starts and injected all at once
 * per height, as a zero-delay network would deliver them. Verification: InlineVerifier (main thread)
 * vs the piscina VerifyPool with 1 and 2 threads, side by side in one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK, report, round, type TaskRow } from './lib/harness.ts';
import { SingleNodeHarness } from '../src/delivery/consensus/sim/scripted.ts';
import { valueIdOf } from '../src/delivery/consensus/codec.ts';
import { MsgType } from '../src/delivery/consensus/types.ts';
import { FileWal } from '../src/delivery/consensus/wal.ts';
import type { SignatureVerifier } from '../src/pools/interface.ts';
import { InlineVerifier } from '../src/pools/inline.ts';
import { VerifyPool } from '../src/pools/verifyPool.ts';

const NEVER = { propose: 1e12, proposeDelta: 0, prevote: 1e12, prevoteDelta: 0, precommit: 1e12, precommitDelta: 0, commit: 0 };

interface Result extends TaskRow {
  validators: number;
  verifier: string;
  heights: number;
  p50Ms: number;
  signaturesVerified: number;
  verifiedPerSec: number;
  verifiedPerHeight: number;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function runOne(n: number, heights: number, verifierName: string, verifier: SignatureVerifier, walDir?: string): Promise<Result> {
  const wal = walDir ? await FileWal.open(join(walDir, `n${n}-${verifierName}.wal`)) : undefined;
  const h = new SingleNodeHarness({ validators: n, seed: 42, verifier, timeouts: NEVER, wal, gossipIntervalMs: 1e12, valueSize: 256 });
  // Everything the peers will say, signed before timing: proposal (when a peer proposes), all prevotes, all precommits.
  const perHeight: Uint8Array[][] = [];
  for (let height = 1; height <= heights; height++) {
    const p = h.proposerIndex(height, 0);
    const value = h.value(height, 0, p);
    const id = valueIdOf(value);
    const msgs: Uint8Array[] = [];
    if (p !== h.self) msgs.push(h.proposal(p, height, 0, value));
    for (const i of h.peers()) msgs.push(h.vote(i, MsgType.Prevote, height, 0, id));
    for (const i of h.peers()) msgs.push(h.vote(i, MsgType.Precommit, height, 0, id));
    perHeight.push(msgs);
  }
  await h.state.start();
  await h.settle();
  const latencies: number[] = [];
  const verifiedBefore = h.state.stats.signaturesVerified;
  const t0 = performance.now();
  for (let height = 1; height <= heights; height++) {
    const s = performance.now();
    for (const m of perHeight[height - 1]!) h.inject(m);
    while (h.app.lastHeight < height) {
      await h.settle();
      if (h.state.halted) throw h.state.halted;
      if (h.app.lastHeight < height && h.state.isIdle()) throw new Error(`n=${n} ${verifierName}: height ${height} not decided with every message delivered`);
    }
    latencies.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  const verified = h.state.stats.signaturesVerified - verifiedBefore;
  await h.state.stop();
  await wal?.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    name: `n=${n} ${verifierName}`,
    validators: n,
    verifier: verifierName,
    heights,
    meanMs: mean,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    opsPerSec: (heights * 1000) / total,
    samples: heights,
    signaturesVerified: verified,
    verifiedPerSec: (verified * 1000) / total,
    verifiedPerHeight: verified / heights,
  };
}

async function main(): Promise<void> {
  const sizes: [number, number][] = QUICK
    ? [
        [4, 30],
        [21, 10],
        [100, 4],
      ]
    : [
        [4, 300],
        [21, 100],
        [100, 30],
      ];
  const inline = new InlineVerifier();
  const pool1 = new VerifyPool({ threads: 1 });
  const pool2 = new VerifyPool({ threads: 2 });
  const verifiers: [string, SignatureVerifier][] = [
    ['inline', inline],
    ['pool 1 thread', pool1],
    ['pool 2 threads', pool2],
  ];
  const rows: Result[] = [];
  const ratios: Record<string, number> = {};
  const walDir = mkdtempSync(join(tmpdir(), 'bench-consensus-'));
  try {
    // Warm the pools' threads and the JIT on a few heights first.
    for (const [name, v] of verifiers) await runOne(4, 5, name, v);
    for (const [n, heights] of sizes) {
      for (const [name, v] of verifiers) {
        const r = await runOne(n, heights, name, v);
        rows.push(r);
        console.log(`${r.name}: ${round(r.meanMs)} ms/height, ${round(r.verifiedPerSec)} verified sig/s`);
      }
      const m = (v: string) => rows.find((r) => r.validators === n && r.verifier === v)!;
      ratios[`n=${n} commit latency pool 1 thread / inline`] = m('pool 1 thread').meanMs / m('inline').meanMs;
      ratios[`n=${n} commit latency pool 2 threads / inline`] = m('pool 2 threads').meanMs / m('inline').meanMs;
      ratios[`n=${n} verified sig/s pool 2 threads / inline`] = m('pool 2 threads').verifiedPerSec / m('inline').verifiedPerSec;
    }
    // The same 21-validator run with the WAL on disk (fsync before each own vote is sent).
    const [n21, h21] = sizes[1]!;
    const fileRow = await runOne(n21, h21, 'inline', inline, walDir);
    fileRow.name = `n=${n21} inline, file WAL (fsync)`;
    fileRow.verifier = 'inline+fileWAL';
    rows.push(fileRow);
    ratios[`n=${n21} inline: file WAL / memory WAL commit latency`] = fileRow.meanMs / rows.find((r) => r.validators === n21 && r.verifier === 'inline')!.meanMs;
  } finally {
    await Promise.all([inline.close(), pool1.close(), pool2.close()]);
    rmSync(walDir, { recursive: true, force: true });
  }
  report('consensus', {
    rows,
    ratios,
    notes: [
      "one real engine (src/delivery/consensus/state.ts) per row; its n−1 peers are scripted and pre-signed, all of a height's messages injected at once (zero network delay)",
      "meanMs / p50Ms / p99Ms = wall time from injecting a height's messages to its commit; opsPerSec = heights per second",
      'verifiedPerSec = consensus signatures verified by the engine per wall second (each checked once; late precommits for a decided height are dropped unverified)',
      'memory WAL unless marked; the file-WAL row fsyncs each own vote before sending it',
      'pool = src/pools/verifyPool.ts (piscina, packed batches); inline = src/pools/inline.ts on the main thread; the machine has 2 cores shared with other work',
    ],
  });
}

await main();
