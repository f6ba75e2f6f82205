/**
 * A consensus engine without a key (a follower node's): on the simulated network of 4 validators it
 * decides the same values at the same heights from their proposals and precommits, and signs
 * nothing: it broadcasts nothing, sends single peers only catch-up requests and the validators'
 * own decided messages, and its WAL holds no signature or lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster, SIM_TIMEOUTS } from '../../src/delivery/consensus/sim/cluster.ts';
import { SimApp } from '../../src/delivery/consensus/sim/app.ts';
import { ConsensusState } from '../../src/delivery/consensus/state.ts';
import { MemoryWal, MemoryWalDisk } from '../../src/delivery/consensus/wal.ts';
import { MemoryEvidenceStore } from '../../src/delivery/consensus/evidence.ts';
import { CATCHUP_KIND, decodeMessages } from '../../src/delivery/consensus/codec.ts';
import { MsgType } from '../../src/delivery/consensus/types.ts';
import type { ConsensusTransport } from '../../src/delivery/consensus/interface.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { testKey } from '../helpers/keys.ts';

test('an observer (no key) decides what the validators decide and never signs or sends a vote', async () => {
  const c = new SimCluster({ validators: 4, seed: 5, network: { minDelayMs: 1, maxDelayMs: 80, dropRate: 0.05 } });
  await c.start();
  const address = testKey(99, 5).address;
  const app = new SimApp({ address }, { validators: c.validators });
  const endpoint = c.network.endpoint('observer');
  const sent: { to: string | null; data: Uint8Array }[] = [];
  const transport: ConsensusTransport = {
    peerId: endpoint.peerId,
    broadcast: (data) => {
      sent.push({ to: null, data });
      endpoint.broadcast(data);
    },
    sendTo: (to, data) => {
      sent.push({ to, data });
      endpoint.sendTo(to, data);
    },
    subscribe: (h) => endpoint.subscribe(h),
  };
  const disk = new MemoryWalDisk();
  const wal = new MemoryWal(disk);
  const observer = new ConsensusState(
    { chainId: c.chainId, secretKey: null, startHeight: 1, timeouts: SIM_TIMEOUTS, gossipIntervalMs: 500 },
    { app, transport, clock: c.clock, verifier: new InlineVerifier(), wal, evidence: new MemoryEvidenceStore() },
  );
  assert.equal(observer.signer, null);
  assert.equal(observer.address, null);
  await observer.start();
  const ok = await c.runUntil(() => app.lastHeight >= 10 && c.minHeight() >= 10, 120_000);
  await observer.whenIdle();
  assert.ok(ok, `observer at ${app.lastHeight}, validators at ${c.minHeight()}`);
  c.assertSafety();
  for (const [h, v] of app.committed) assert.equal(bytesToHex(v), c.decided.get(h), `height ${h}`);
  assert.equal(sent.filter((s) => s.to === null).length, 0, 'nothing broadcast');
  // To single peers: catch-up requests, and catch-up answers relaying decided heights' proposals and
  // precommits, all signed by validators.
  for (const s of sent) {
    if (s.data[0] === CATCHUP_KIND) continue;
    for (const m of decodeMessages(s.data)) {
      const h = m.kind === 'proposal' ? m.proposal.height : m.vote.height;
      assert.ok(app.committed.has(h), `relayed a message of undecided height ${h}`);
      if (m.kind === 'vote') {
        assert.equal(m.vote.type, MsgType.Precommit);
        assert.ok(c.validators.at(h).getByAddress(bytesToHex(m.vote.validator)), 'a validator signed it');
      }
    }
  }
  const kinds = (await wal.readAll()).map((r) => r.type);
  assert.ok(kinds.length > 0 && kinds.every((k) => k === 'end-height'), `WAL holds only height ends: ${[...new Set(kinds)]}`);
  assert.equal(observer.stats.doubleSignRefused, 0);
  observer.abandon();
  await c.stop();
});
