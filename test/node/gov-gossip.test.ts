/** Ballot gossip between three nodes' pools: a ballot given to one reaches the others; junk is rejected and costs the sender score. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from '../../src/db/level.ts';
import { CommittedState } from '../../src/delivery/app/state.ts';
import { BallotPool } from '../../src/delivery/modules/gov/pool.ts';
import { GovQueries } from '../../src/delivery/modules/gov/queries.ts';
import { GovStore } from '../../src/delivery/modules/gov/store.ts';
import { signBallot, signedBallotJson, type Ballot } from '../../src/gov/ballot.ts';
import { wireBallotGossip } from '../../src/node/gov-wiring.ts';
import { MemoryHub } from '../../src/p2p/memory.ts';
import { key } from '../delivery/helpers.ts';
import { until } from '../helpers/until.ts';

test('gov-ballot gossip: pooled on every node, relayed once; malformed rejected and the sender penalised', async () => {
  const hub = new MemoryHub();
  const names = ['a', 'b', 'c'];
  const metrics = new Registry();
  const nets = names.map((n) => hub.node(n));
  const dir = mkdtempSync(join(tmpdir(), 'gov-gossip-'));
  const db = await LevelStore.open(dir);
  const qs = names.map(() => new GovQueries({ store: new GovStore(db), pool: new BallotPool({}), committed: new CommittedState(), governor: null }));
  nets.forEach((net, i) => wireBallotGossip({ queries: qs[i]!, network: net, metrics: i === 1 ? metrics : null }));
  for (const n of nets) await n.start();

  const voter = key(40, 5);
  const b: Ballot = { proposalId: '0x' + 'cd'.repeat(32), support: 1, voter: voter.address, nonce: 1n, reason: 'yes' };
  const json = signedBallotJson({ ballot: b, signature: signBallot(b, { chainId: 1n, governor: '0x' + '55'.repeat(20) }, voter.secretKey) });
  assert.equal(qs[0]!.submit(json).status, 'pooled');
  await until('ballot reached b and c', 5000, () => qs[1]!.pooled === 1 && qs[2]!.pooled === 1, 10);
  assert.equal(qs[1]!.submit(json).status, 'duplicate');

  await nets[0]!.publish('gov-ballot', new TextEncoder().encode('{"proposalId":"0x01","support":"maybe"}'));
  await nets[0]!.publish('gov-ballot', new TextEncoder().encode('not json'));
  await until('a penalised by b', 5000, async () => ((await nets[1]!.peers()).find((p) => p.peerId === 'a')?.score ?? 0) < 0, 10);
  assert.equal(qs[1]!.pooled, 1, 'junk never pooled');
  const text = await metrics.metrics();
  assert.match(text, /bttc_gov_ballot_gossip_total\{verdict="reject",reason="malformed"\} 1/);
  assert.match(text, /bttc_gov_ballot_gossip_total\{verdict="reject",reason="not-json"\} 1/);
  assert.match(text, /bttc_gov_ballot_gossip_total\{verdict="accept",reason="ok"\} 1/);
  for (const n of nets) await n.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});
