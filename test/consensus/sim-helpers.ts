/** Shared scenario plumbing for the consensus simulations. */
import assert from 'node:assert/strict';
import { bytesToHex } from '../../src/util/bytes.ts';
import { SimCluster, type ClusterOptions } from '../../src/delivery/consensus/sim/cluster.ts';

export const f = (n: number): number => Math.floor((n - 1) / 3);

/** Node indices 0..k-1 with one behaviour. */
export function firstK(k: number, behavior: 'silent' | 'double-vote'): Record<number, 'silent' | 'double-vote'> {
  return Object.fromEntries(Array.from({ length: k }, (_, i) => [i, behavior]));
}

export async function cluster(opts: ClusterOptions): Promise<SimCluster> {
  const c = new SimCluster(opts);
  await c.start();
  return c;
}

/** Runs until every honest running node has committed `height`, failing with a state dump if not. */
export async function reach(c: SimCluster, height: number, forMs: number, what: string): Promise<void> {
  const ok = await c.runUntilHeight(height, forMs);
  if (!ok) {
    const dump = c.nodes.map((n) => `#${n.index} ${n.behavior} h=${n.app.lastHeight}${n.state ? ` r=${n.state.round} step=${n.state.step}` : ' down'}`).join('; ');
    assert.fail(`${what}: height ${height} not reached by every honest node within ${forMs} virtual ms (${dump})`);
  }
  c.assertSafety();
}

/** Rounds in use by honest running nodes. */
export function maxRound(c: SimCluster): number {
  return Math.max(...c.honest.filter((n) => n.state).map((n) => n.state!.round));
}

/** Honest nodes' evidence, with the validators it names. */
export async function evidenceAgainst(c: SimCluster): Promise<Set<number>> {
  const byAddr = new Map(c.nodes.map((n) => [n.peerId, n.index]));
  const out = new Set<number>();
  for (const n of c.honest) for (const e of await n.evidence.list()) out.add(byAddr.get(bytesToHex(e.validator))!);
  return out;
}
