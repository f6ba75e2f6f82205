/**
 * The slashing module in real Delivery apps (LevelDB, the real app and modules, four validators
 * deciding heights in process): downtime counted from the precommits blocks carry; a candidate voided
 * by a presence proof; an unchallenged one final after the window, batched and signed 2/3+1, and
 * that batch accepted by the real SlashingManager (jail, then unjail after the jail's epochs);
 * replays refused; with slashing off, evidence recorded and visible, no candidate, no batch.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signRsv } from '../../src/crypto/secp256k1.ts';
import { encodeVote, valueIdOf, voteDigest } from '../../src/delivery/consensus/codec.ts';
import type { Vote } from '../../src/delivery/consensus/types.ts';
import { SLASH_BATCH_SIGNED } from '../../src/delivery/modules/slashing/notices.ts';
import type { SignedBatch } from '../../src/delivery/modules/slashing/state.ts';
import { evidenceHash, type DowntimeEvidence } from '../../src/slashing/evidence.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { E18 } from '../contracts/fixture.ts';
import { checkpoint, deployStakingSet, stakeValidator } from '../contracts/staking-fixture.ts';
import { testKey } from '../helpers/keys.ts';
import { closeNode, decideHeight, devConfig, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';
import type { NodeConfig } from '../../src/config/types.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';

const open: NodeHandle[] = [];
after(async () => {
  for (const n of open) await closeNode(n).catch(() => {});
});

async function network(config: NodeConfig) {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, 19));
  const genesis = genesisOf(keys);
  const clock = { now: () => GENESIS_TIME };
  const nodes: NodeHandle[] = [];
  for (const k of keys) nodes.push(await openNode(k, genesis, { clock, config }));
  open.push(...nodes);
  const values = new Map<number, Uint8Array>();
  const batches: SignedBatch[] = [];
  nodes[0]!.app.onCommitted((c) => batches.push(...c.notices.of(SLASH_BATCH_SIGNED)));
  const decide = async (signers = nodes) => values.set(nodes[0]!.app.height + 1, await decideHeight(nodes, config.delivery.chainId, signers));
  return { keys, nodes, values, batches, decide };
}

const get = (n: NodeHandle) => n.app.queries.slashing;

describe('slashing module (real Delivery apps)', () => {
  it('downtime: refused when not enough missed, voided by a presence proof, else final, batched, signed and applied by the SlashingManager; unjail after the jail', async () => {
    const config = devConfig();
    const { keys, nodes, values, batches, decide } = await network(config);
    const [a, b, c] = nodes as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    for (let i = 0; i < 4; i++) await decide();
    for (let i = 0; i < 28; i++) await decide([a, b, c]); // d is down: heights 5..32 lack its precommit
    const dAddr = keys[3]!.address;
    const ev = (toHeight: number): DowntimeEvidence => ({ v: 1, offense: 'downtime', validator: dAddr, toHeight: String(toHeight), window: String(config.slashing.signedBlocksWindow) });
    const submitAll = (e: DowntimeEvidence) => nodes.map((n) => n.app.queries.slashing.inbox.submitEvidence(e));

    // Validators that signed are not accused: a (REST/CLI) check refuses it with its code.
    const ctx = { config, stakingChainId: a.app.stakingChainId, height: a.app.height + 1, blockTime: 0, state: (a.app as unknown as { state: never }).state };
    assert.match(String(get(a).inbox.check({ ...ev(29), validator: keys[0]!.address }, ctx)), /^not-enough-missed:/);
    assert.match(String(get(a).inbox.check(ev(a.app.height), ctx)), /^future:/);

    // 1. Accused over heights 10..29, then voided: d proves it precommitted 10..25.
    const first = ev(29);
    submitAll(first);
    for (let i = 0; i < 4 && get(a).candidates().length === 0; i++) await decide([a, b, c]);
    const cand = get(a)
      .candidates()
      .find((x) => x.id === evidenceHash(first));
    assert.ok(cand, 'a candidate opened');
    assert.equal(cand.closesAt - cand.openedAt, config.slashing.challengeWindow);
    const proofs = [];
    for (let h = 10; h <= 25; h++) {
      const v: Vote = { type: 3, height: h, round: 0, valueId: valueIdOf(values.get(h)!), validator: hexToBytes(dAddr), extension: new Uint8Array(0), signature: new Uint8Array(65) };
      v.signature = signRsv(voteDigest(config.delivery.chainId, v), keys[3]!.secretKey);
      proofs.push(bytesToHex(encodeVote(v)));
    }
    for (const n of nodes) n.app.queries.slashing.inbox.submitChallenge(cand.id, { precommits: proofs.slice(0, 3) }); // too few: refused, dropped
    for (const n of nodes) n.app.queries.slashing.inbox.submitChallenge(cand.id, { precommits: proofs });
    for (let i = 0; i < 4 && get(a).candidates().length > 0; i++) await decide([a, b, c]);
    const voided = await get(a).record(cand.id);
    assert.equal(voided?.status, 'voided');
    assert.match(String(voided?.voidReason), /presence proven at 16 heights/);
    // Replay: the same evidence again is refused.
    assert.match(String(get(a).inbox.check(first, { ...ctx, height: a.app.height + 1, state: (a.app as unknown as { state: never }).state })), /^replayed:/);

    // 2. Unchallenged: final after the window, batched and signed.
    const second = ev(30);
    submitAll(second);
    for (let i = 0; i < 40 && batches.length === 0; i++) await decide([a, b, c]);
    const rec = await get(a).record(evidenceHash(second));
    assert.equal(rec?.status, 'final');
    assert.deepEqual(rec?.penalty, { selfBps: 100, delegatorBps: 0, jailEpochs: 1, prior: 0 });
    assert.equal(batches.length, 1, 'one signed batch');
    const batch = batches[0]!;
    assert.deepEqual(batch.ids, [evidenceHash(second)]);
    assert.ok(batch.sigs.length >= 3, '2/3+1 of 4');
    assert.equal(get(a).queued().length, 0);
    for (const n of nodes) assert.deepEqual((await n.app.queries.slashing.record(evidenceHash(second)))?.status, 'final', 'every node agrees');

    // 3. The signed batch on the real contracts, staked with the same signer keys (ids 1..4 in order).
    const set = await deployStakingSet({ validators: 0 });
    const sm = await set.chain.deploy('SlashingManager', set.gov, [set.stakeManager]);
    await set.chain.must(set.gov, 'StakeManager', set.stakeManager, 'setSlashingManager', [sm]);
    for (const [i, k] of keys.entries()) {
      const v = { owner: testKey(`slash-owner-${i}`), signer: { ...testKey(`unused-${i}`), secret: k.secretKey, addressHex: k.address }, pubkey: k.publicKey.subarray(1), signerAddress: k.address };
      assert.ok((await stakeValidator(set, v as never, 2000n * E18, true)).ok);
    }
    const out = await set.chain.send(set.gov, 'SlashingManager', sm, 'updateSlashedAmounts', [batch.data, batch.sigs.map((t) => t.map(BigInt))]);
    assert.ok(out.ok, out.revert);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'validatorStake', [4n]))[0], 2000n * E18 - 20n * E18);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'isValidator', [4n]))[0], false, 'jailed');
    const owner = set.vals[3]!.owner;
    assert.equal((await set.chain.send(owner, 'StakeManager', set.stakeManager, 'unjail', [4n])).revert, 'StakeManager: jail not over');
    assert.ok((await checkpoint(set, { signers: set.vals.slice(0, 3) })).ok);
    assert.ok((await set.chain.send(owner, 'StakeManager', set.stakeManager, 'unjail', [4n])).ok, 'unjails after 1 epoch');
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'isValidator', [4n]))[0], true);
  });

  it('slashing off (mainnet setting): evidence recorded and visible, no candidate, no batch', async () => {
    const on = devConfig();
    const config = { ...on, slashing: { ...on.slashing, enabled: false } } as NodeConfig;
    const { keys, nodes, batches, decide } = await network(config);
    const [a, b, c] = nodes as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    for (let i = 0; i < 4; i++) await decide();
    for (let i = 0; i < 24; i++) await decide([a, b, c]);
    const e: DowntimeEvidence = { v: 1, offense: 'downtime', validator: keys[3]!.address, toHeight: '26', window: String(config.slashing.signedBlocksWindow) };
    for (const n of nodes) n.app.queries.slashing.inbox.submitEvidence(e);
    for (let i = 0; i < 15; i++) await decide([a, b, c]);
    const r = await get(a).record(evidenceHash(e));
    assert.equal(r?.status, 'recorded');
    assert.equal(r?.penalty, null);
    assert.equal(get(a).candidates().length, 0);
    assert.equal(get(a).queued().length, 0);
    assert.equal(batches.length, 0);
  });

  it('REST: POST /slashing/evidence checks at once (400 with the reason code) and queues; GET candidates and evidence/{hash}', async () => {
    const config = devConfig();
    const { keys, nodes, decide } = await network(config);
    const [a, b, c] = nodes as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    for (let i = 0; i < 4; i++) await decide();
    for (let i = 0; i < 24; i++) await decide([a, b, c]);
    const server = new DeliveryRestServer({}, { app: a.app });
    const { port } = await server.listen();
    try {
      const url = `http://127.0.0.1:${port}`;
      const post = async (path: string, body: string) => {
        const r = await fetch(url + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        return { status: r.status, body: (await r.json()) as { result?: { id: string; queued: boolean }; error?: string } };
      };
      const e: DowntimeEvidence = { v: 1, offense: 'downtime', validator: keys[3]!.address, toHeight: '26', window: String(config.slashing.signedBlocksWindow) };
      assert.equal((await post('/slashing/evidence', '{nope')).status, 400);
      assert.match(String((await post('/slashing/evidence', '{nope')).body.error), /not JSON/);
      assert.match(String((await post('/slashing/evidence', JSON.stringify({ ...e, window: '7' }))).body.error), /^malformed: evidence.window 7 differs/);
      const refused = await post('/slashing/evidence', JSON.stringify({ ...e, validator: keys[0]!.address }));
      assert.equal(refused.status, 400);
      assert.match(String(refused.body.error), /^not-enough-missed:/);
      const ok = await post('/slashing/evidence', JSON.stringify(e));
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.result, { id: evidenceHash(e), queued: true });
      assert.equal((await fetch(`${url}/slashing/final`, { method: 'POST', body: '{}' })).status, 405, 'POST only where a route takes it');
      // a is the proposer every fourth height: within a few heights the evidence is in a block.
      for (let i = 0; i < 6 && get(a).candidates().length === 0; i++) await decide([a, b, c]);
      const cands = (await (await fetch(`${url}/slashing/candidates`)).json()) as { result: { id: string; offense: string; validatorId: number }[] };
      assert.deepEqual(
        cands.result.map((x) => [x.id, x.offense, x.validatorId]),
        [[evidenceHash(e), 'downtime', 4]],
      );
      const one = (await (await fetch(`${url}/slashing/evidence/${evidenceHash(e)}`)).json()) as { result: { status: string; evidence: unknown } };
      assert.equal(one.result.status, 'candidate');
      assert.deepEqual(one.result.evidence, e);
      assert.equal((await fetch(`${url}/slashing/evidence/0x12`)).status, 400);
      assert.equal((await fetch(`${url}/slashing/evidence/0x${'00'.repeat(32)}`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
