/**
 * Jailed / UnJailed (BTTC's StakingInfo events, spec §11) through four Delivery validators driven
 * height by height: applied once, after > 2/3 of the validators' own watchers saw the identical
 * event; the jailed validator leaves the consensus set in the end-block of the block that applied
 * the event (the rule a leaving validator follows), so the set deciding the next height lacks it
 * and the proposer rotation skips it; UnJailed brings it back the same way; replays are refused.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { stakeTxFromEvent, StakeKind } from '../../src/delivery/modules/staking/stake-txs.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { stakingSequence } from '../../src/root/sequence.ts';
import { evidenceHash, type DowntimeEvidence } from '../../src/slashing/evidence.ts';
import { closeNode, decideHeight, deliverEvents, devConfig, FakeRoot, genesisOf, GENESIS_TIME, key, openNode, type NodeHandle } from './helpers.ts';

const config = devConfig();
const chainId = config.delivery.chainId;
const SEED = 71;
const JAILED_ID = 4;

const cleanup: NodeHandle[] = [];
after(async () => {
  for (const n of cleanup) await closeNode(n).catch(() => {});
});

async function network() {
  const keys = Array.from({ length: 4 }, (_, i) => key(i, SEED));
  const clock = {
    t: GENESIS_TIME,
    now() {
      return this.t;
    },
  };
  const nodes: NodeHandle[] = [];
  for (const k of keys) nodes.push(await openNode(k, genesisOf(keys), { clock }));
  cleanup.push(...nodes);
  return { keys, clock, nodes };
}
type Net = Awaited<ReturnType<typeof network>>;

const signersOf = (n: NodeHandle, height: number) =>
  n.app
    .validatorSet(height)
    .validators.map((v) => v.address)
    .map((a) => '0x' + Buffer.from(a).toString('hex'))
    .sort();

/** The consensus proposer of `height` (round 0), as every node has it. */
function proposerOf(net: Net, height: number): string {
  const ps = net.nodes.map((n) => '0x' + Buffer.from(n.app.validatorSet(height).proposer(0).address).toString('hex'));
  for (const p of ps) assert.equal(p, ps[0], 'every node agrees on the proposer');
  return ps[0]!;
}

/**
 * Decides heights until validator JAILED_ID's committed `jailed` is `want` on every node; returns
 * the height H that applied it, after checking the rule: it is (not) in the set that decided H and
 * not (again) in the set for H + 1, on every node.
 */
async function decideUntilJailed(net: Net, root: FakeRoot, want: boolean, signer: string): Promise<number> {
  for (let i = 0; i < 12; i++) {
    net.clock.t += 2000;
    await deliverEvents(net.nodes, root);
    await decideHeight(net.nodes, chainId);
    const h = net.nodes[0]!.app.height;
    const flags = net.nodes.map((n) => n.app.queries.staking.validator(JAILED_ID)?.jailed);
    for (const f of flags) assert.equal(f, flags[0], 'every node holds the same jailed flag');
    if (flags[0] !== want) {
      for (const n of net.nodes) assert.equal(signersOf(n, h + 1).includes(signer), want, 'the set follows only once the event applied');
      continue;
    }
    for (const n of net.nodes) {
      assert.equal(signersOf(n, h).includes(signer), want, `the set that decided ${h} (the applying block) still ${want ? 'has' : 'lacks'} it`);
      assert.equal(signersOf(n, h + 1).includes(signer), !want, `the set for ${h + 1} ${want ? 'lacks' : 'has'} it`);
      assert.equal(
        n.app.queries.staking.validatorSet().validators.some((v) => v.signer === signer),
        !want,
        '/staking/validator-set follows (a jailed validator is not current)',
      );
    }
    return h;
  }
  throw new Error(`validator ${JAILED_ID} never became jailed=${want}`);
}

describe('Jailed / UnJailed in Delivery', () => {
  it('maps BTTC events to stake txs; the signer argument is not needed', () => {
    const base = { contract: 'StakeManager', rootChainId: 2, blockNumber: 10, logIndex: 0, txHash: `0x${'11'.repeat(32)}`, sequence: 1000n } as const;
    const j = stakeTxFromEvent({ ...base, name: 'Jailed', args: { validatorId: 3n, exitEpoch: 9n, signer: `0x${'ab'.repeat(20)}` } } as RootEvent);
    assert.equal(j?.kind, StakeKind.Jailed);
    assert.equal(j?.validatorId, 3);
    assert.equal(j?.amount, 9n);
    const u = stakeTxFromEvent({ ...base, name: 'UnJailed', args: { validatorId: 3n, signer: `0x${'ab'.repeat(20)}` } } as RootEvent);
    assert.equal(u?.kind, StakeKind.UnJailed);
    assert.throws(() => stakeTxFromEvent({ ...base, name: 'Jailed', args: { validatorId: 3n, signer: `0x${'ab'.repeat(20)}` } } as RootEvent), /exitEpoch/);
  });

  it('jail removes the validator from the set after the applying block, proposers skip it, unjail brings it back, replay refused', async () => {
    const net = await network();
    const root = new FakeRoot();
    const signer = net.keys[JAILED_ID - 1]!.address;
    // A few heights first: every validator proposes in turn.
    const before = new Set<string>();
    for (let i = 0; i < 4; i++) {
      before.add(proposerOf(net, net.nodes[0]!.app.height + 1));
      net.clock.t += 2000;
      await decideHeight(net.nodes, chainId);
    }
    assert.ok(before.has(signer), 'the validator proposed before its jail');

    const jailed = root.stakingEvent('Jailed', { validatorId: BigInt(JAILED_ID), exitEpoch: 3n, signer });
    const hJail = await decideUntilJailed(net, root, true, signer);
    assert.equal(net.nodes[0]!.app.queries.staking.validator(JAILED_ID)?.jailed, true);
    // While jailed: eight heights (two full rotations of three), never its turn, never its precommit needed.
    const during = new Set<string>();
    for (let i = 0; i < 8; i++) {
      during.add(proposerOf(net, net.nodes[0]!.app.height + 1));
      for (const n of net.nodes) assert.equal(signersOf(n, n.app.height + 1).length, 3);
      net.clock.t += 2000;
      await decideHeight(net.nodes, chainId);
    }
    assert.equal(during.has(signer), false, 'the proposer rotation skips the jailed validator');
    assert.equal(during.size, 3, 'the three others take turns');

    // Replay: the same Jailed event again is refused and changes nothing.
    for (const n of net.nodes) await n.app.onRootEvent(jailed);
    for (let i = 0; i < 3; i++) {
      net.clock.t += 2000;
      await decideHeight(net.nodes, chainId);
    }
    for (const n of net.nodes) assert.equal(n.app.poolSize, 0, 'the replayed event does not sit in the pool');

    root.stakingEvent('UnJailed', { validatorId: BigInt(JAILED_ID), signer });
    const hBack = await decideUntilJailed(net, root, false, signer);
    assert.ok(hBack > hJail);
    const back = new Set<string>();
    for (let i = 0; i < 8; i++) {
      back.add(proposerOf(net, net.nodes[0]!.app.height + 1));
      net.clock.t += 2000;
      await decideHeight(net.nodes, chainId);
    }
    assert.ok(back.has(signer), 'after UnJailed it proposes again');

    // The same Jailed again is refused; an older Jailed seen late (another log of the jailing block,
    // so a sequence before the UnJailed's) is stale: the later event wins, it stays out of jail.
    const older: RootEvent = { ...jailed, logIndex: 1, sequence: stakingSequence(jailed.blockNumber, 1), txHash: `0x${'22'.repeat(32)}` };
    for (const n of net.nodes) {
      await n.app.onRootEvent(jailed);
      await n.app.onRootEvent(older);
    }
    for (let i = 0; i < 3; i++) {
      net.clock.t += 2000;
      await decideHeight(net.nodes, chainId);
    }
    for (const n of net.nodes) {
      assert.equal(n.app.queries.staking.validator(JAILED_ID)?.jailed, false);
      assert.equal(signersOf(n, n.app.height + 1).length, 4);
      assert.equal(n.app.poolSize, 0, 'the older Jailed was voted on and marked processed, not kept');
    }
  });

  it('evidence about heights a now-jailed validator missed still checks and names it (the slashing module keeps its sets by height)', async () => {
    const net = await network();
    const root = new FakeRoot();
    const [a, b, c] = net.nodes as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    const signer = net.keys[JAILED_ID - 1]!.address;
    const decide = async (signers: NodeHandle[]) => {
      net.clock.t += 2000;
      await deliverEvents(net.nodes, root);
      await decideHeight(net.nodes, chainId, signers);
    };
    for (let i = 0; i < 4; i++) await decide(net.nodes);
    for (let i = 0; i < 28; i++) await decide([a, b, c]); // its precommits missing from heights 5..32
    const missedTo = a.app.height - 1;
    root.stakingEvent('Jailed', { validatorId: BigInt(JAILED_ID), exitEpoch: 3n, signer });
    for (let i = 0; i < 6 && a.app.queries.staking.validator(JAILED_ID)?.jailed !== true; i++) await decide([a, b, c]);
    for (const n of net.nodes) assert.equal(signersOf(n, n.app.height + 1).includes(signer), false, 'jailed: out of the set');
    const ev: DowntimeEvidence = { v: 1, offense: 'downtime', validator: signer, toHeight: String(missedTo), window: String(config.slashing.signedBlocksWindow) };
    for (const n of net.nodes) n.app.queries.slashing.inbox.submitEvidence(ev);
    for (let i = 0; i < 4 && a.app.queries.slashing.candidates().length === 0; i++) await decide([a, b, c]);
    const cand = a.app.queries.slashing.candidates().find((x) => x.id === evidenceHash(ev));
    assert.ok(cand, 'a candidate opened about heights before the jail');
    assert.equal(cand.validatorId, JAILED_ID, 'named by its record, though no longer in the set');
  });
});
