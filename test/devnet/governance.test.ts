/**
 * Done means (issue 18, the devnet test): `bttc-node devnet` with 4 validators as real processes.
 * The devnet genesis hands the StakeManager to the Timelock; a holder proposes a StakeManager parameter
 * change and two Delivery parameter changes (checkpoint_buffer_time 60 s → 30 s, span_duration 256 → 128
 * blocks) on the devnet's root chain; three holders vote with `bttc-node gov vote --rest` against different
 * nodes (gossip carries each ballot to whoever proposes the next Delivery block); Delivery mirrors
 * the proposal, includes the ballots, and when voting closes its validators recompute and sign the
 * tally, which the tally's submitter anchors with Governor.submitTally; anyone queues it and executes
 * it after the Timelock delay, and the parameter has changed; every node mirrors the Governor's
 * ParamChanged, applies it at the same height A and serves the new value from A + 1 (REST
 * /gov/params, /checkpoints/params, /bor/params; the devnet's spans are 256 blocks, so the next span
 * with the new length is test/delivery/gov-params.test.ts's to show). `bttc-node audit tally --rest` (no
 * --governor) prints "match": true; node 0's `evidence export --proposal` package passes
 * `audit package` with its anchors checked. The root chain runs 2 s blocks so the 10-block vote has room.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, id as keccakText, JsonRpcProvider, Wallet } from 'ethers';
import { getArtifact } from '../../src/contracts/build.ts';
import { paramKey } from '../../src/gov/params.ts';
import { readKeyFile } from '../../src/node/keys.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { until } from '../helpers/until.ts';
import { BIN, DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of the other devnet tests (their ranges end below 64000).
const BASE = 64000 + (process.pid % 100) * 10;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 8, p2p: BASE + 9 };

// biome-ignore lint/suspicious/noExplicitAny: REST bodies of several shapes, read field by field below
type Json = any;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('devnet: propose a StakeManager and two Delivery parameter changes, vote ×3 with gov vote --rest, Delivery anchors the tally, queue, execute; buffer time and span length switch at A + 1 on every node; audit tally matches', {
  timeout: 420_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-governance-'));
  const devnet = new DevnetProcess(dir, ['--validators', '4', '--root-block-time', '2', ...devnetPortArgs(PORTS)]);
  let root: JsonRpcProvider | null = null;
  try {
    const snap = await until('4 validators up at height ≥ 3', 150_000, () => {
      const s = devnet.snapshot();
      return s?.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= 2) ? s : null;
    });
    const rests = snap.nodes.map((n) => n.status!.restUrl);
    const info = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { rpcUrl: string; contracts: Record<string, string> };
    const c = info.contracts;
    const genesis = JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { deployerKey: string };
    root = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    const TX = { type: 0, gasPrice: BigInt((await root.send('eth_gasPrice', [])) as string) };
    const deployer = new Wallet(genesis.deployerKey, root);
    const keyFile = (i: number) => join(dir, `node-${i}`, 'validator-keys.json');
    const owner0 = new Wallet(bytesToHex(readKeyFile(keyFile(0)).owner.privateKey), root);
    const at = (name: string, address: string, runner: Wallet | JsonRpcProvider) => new Contract(address, getArtifact(name).abi as never, runner);
    const sm = at('StakeManager', c.stakeManager!, deployer);
    const governor = at('Governor', c.governor!, owner0);
    const get = async (rest: string, path: string): Promise<{ status: number; body: Json }> => {
      const r = await fetch(rest + path);
      return { status: r.status, body: await r.json().catch(() => null) };
    };

    // The devnet genesis handed the StakeManager to the Timelock: a parameter change is a full proposal.
    assert.equal(((await sm.getFunction('governance')()) as string).toLowerCase(), c.timelock);
    await assert.rejects(sm.getFunction('updateCheckpointReward').staticCall(1n, TX), /only governance/);
    // Delivery runs on its genesis buffer time until governance changes it.
    for (const rest of rests) {
      assert.equal((await get(rest, '/checkpoints/params')).body.result.checkpoint_buffer_time, 60e9);
      assert.equal((await get(rest, '/bor/params')).body.result.span_duration, 256);
    }

    // One proposal: a StakeManager parameter and a Delivery parameter (the Governor's checkpoint_buffer_time).
    const oldReward = (await sm.getFunction('checkpointReward')()) as bigint;
    const newReward = oldReward + 777n;
    const bufferKey = paramKey('checkpoint_buffer_time');
    const targets = [c.stakeManager, c.governor, c.governor];
    const values = [0n, 0n, 0n];
    const spanKey = paramKey('span_duration');
    const calldatas = [
      sm.interface.encodeFunctionData('updateCheckpointReward', [newReward]),
      governor.interface.encodeFunctionData('setDeliveryParam', [bufferKey, 30n]),
      governor.interface.encodeFunctionData('setDeliveryParam', [spanKey, 128n]),
    ];
    const description = `devnet governance test ${process.pid}`;
    const receipt = await (await governor.getFunction('propose')(targets, values, calldatas, description, TX)).wait();
    const created = receipt!.logs.map((l: { topics: readonly string[]; data: string }) => governor.interface.parseLog(l)).find((p: { name: string } | null) => p?.name === 'ProposalCreated')!;
    const pid = created.args.proposalId as bigint;
    const pidHex = `0x${pid.toString(16).padStart(64, '0')}`;

    // Delivery mirrors it (the watcher, then > 2/3 of the validators' side votes).
    await until('proposal mirrored by Delivery', 60_000, async () => (await get(rests[1]!, `/gov/proposals/${pidHex}`)).status === 200, 500);

    // Three holders vote, each through a different node's REST; owner 3 stays home.
    const votes: [number, string][] = [
      [0, 'for'],
      [1, 'for'],
      [2, 'against'],
    ];
    const answers = await Promise.all(
      votes.map(([i, support]) => cli(['gov', 'vote', '--proposal', pid.toString(), '--support', support, '--nonce', '1', '--key', keyFile(i), '--reason', `owner ${i}`, '--rest', rests[i + 1]!])),
    );
    for (const a of answers) {
      assert.equal(a.code, 0, a.stderr);
      assert.equal(JSON.parse(a.stdout).answer.result.status, 'pooled');
    }

    // Voting closes on the root chain; the validators sign the tally, its submitter anchors it.
    const anchored = await until(
      'tally anchored on the Governor and mirrored back',
      150_000,
      async () => {
        const t = await get(rests[0]!, `/gov/proposals/${pidHex}/tally`);
        return t.status === 200 && t.body.result.anchored ? t.body.result : null;
      },
      1000,
    );
    assert.equal(anchored.outcome, 'passed');
    assert.equal(anchored.ballotCount, 3);
    assert.ok(anchored.signatures.length >= 3);
    assert.equal(Number(await governor.getFunction('state')(pid)), 4, 'Succeeded');
    const set = (await get(rests[2]!, `/gov/proposals/${pidHex}/ballots`)).body.result;
    assert.equal(set.ballots.length, 3);
    assert.deepEqual(set.refused, []);
    // Node 0 was sent no ballot: it pooled (and validated) all three from gossip.
    const m0 = await (await fetch(`${snap.nodes[0]!.status!.rpcUrl}/metrics`)).text();
    assert.match(m0, /bttc_gov_ballot_gossip_total\{verdict="accept",reason="ok"\} 3/);

    // Queued and executed by anyone after the Timelock delay; the parameter changed.
    const g2 = governor.connect(deployer) as Contract;
    await (await g2.getFunction('queue')(targets, values, calldatas, keccakText(description), TX)).wait();
    await until('the timelock delay', 60_000, async () => {
      try {
        await g2.getFunction('execute').staticCall(targets, values, calldatas, keccakText(description), TX);
        return true;
      } catch {
        return false;
      }
    });
    const executed = (await (await g2.getFunction('execute')(targets, values, calldatas, keccakText(description), TX)).wait())!;
    assert.equal(Number(await governor.getFunction('state')(pid)), 6, 'Executed');
    assert.equal(await sm.getFunction('checkpointReward')(), newReward);
    assert.equal(await governor.getFunction('deliveryParam')(bufferKey), 30n);
    assert.equal(await governor.getFunction('deliveryParam')(spanKey), 128n);

    // Every node mirrors each ParamChanged: applied at the same height A, in force from A + 1 (the
    // documented rule); /checkpoints/params and /bor/params serve the new values from there on.
    const mirrored = (name: string, genesisValue: number, value: number) =>
      Promise.all(
        rests.map((rest) =>
          until(
            `${rest}: the ${name} change mirrored`,
            90_000,
            async () => {
              const r = (await get(rest, '/gov/params')).body;
              const height = Number(r.height);
              const p = r.result.params.find((x: Json) => x.name === name);
              const pending = r.result.pending.find((x: Json) => x.name === name);
              if (pending) {
                // Caught at A itself: pending, and the genesis value still in force for block A.
                assert.equal(pending.effectiveHeight, height + 1);
                assert.equal(p.value, genesisValue);
                assert.equal(pending.value, value);
                return { height: pending.height, effectiveHeight: pending.effectiveHeight, txHash: pending.txHash, rootBlock: pending.rootBlock };
              }
              if (p.source !== 'governor') return null;
              assert.ok(height >= p.effectiveHeight);
              assert.equal(p.value, value);
              return { height: p.effectiveHeight - 1, effectiveHeight: p.effectiveHeight, txHash: p.txHash, rootBlock: p.rootBlock };
            },
            500,
          ),
        ),
      );
    const afterHeight = (rest: string, path: string, h: number) =>
      until(`${rest}${path} at height ≥ ${h}`, 60_000, async () => {
        const x = (await get(rest, path)).body;
        return Number(x.height) >= h ? x.result : null;
      });
    for (const [name, genesisValue, value, path, field, scale] of [
      ['checkpoint_buffer_time', 60, 30, '/checkpoints/params', 'checkpoint_buffer_time', 1e9],
      ['span_duration', 256, 128, '/bor/params', 'span_duration', 1],
    ] as const) {
      const applied = await mirrored(name, genesisValue, value);
      for (const a of applied) {
        assert.deepEqual(a, applied[0], `${name}: the same change, applied at the same height, on every node`);
        assert.equal(a.effectiveHeight, a.height + 1);
        assert.equal(a.txHash, executed.hash.toLowerCase());
        assert.equal(a.rootBlock, executed.blockNumber);
      }
      for (const rest of rests) assert.equal((await afterHeight(rest, path, applied[0]!.effectiveHeight))[field], value * scale, `${rest}${path}`);
    }

    // The audit from public data: root-chain logs and the ballot set from Delivery REST.
    const audit = await cli(['audit', 'tally', '--proposal', pidHex, '--rpc', info.rpcUrl, '--rest', rests[3]!]);
    assert.equal(audit.code, 0, audit.stderr);
    const out = JSON.parse(audit.stdout);
    assert.equal(out.match, true);
    assert.equal(out.manifestRoot, anchored.manifestRoot);
    assert.equal(out.forVotes, anchored.forVotes);
    assert.deepEqual(out.refusals, []);

    // The proposal's evidence package from node 0's audit log (REST), once its batch holds the anchor.
    const pkgFile = join(dir, 'proposal-package.json');
    const exported = await until(
      'the proposal package holds the anchored tally',
      60_000,
      async () => {
        const ex = await cli(['evidence', 'export', '--proposal', pid.toString(), '--rest', rests[0]!, '--out', pkgFile]);
        assert.equal(ex.code, 0, ex.stderr);
        const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
        return pkg.content.tally?.anchored ? pkg : null;
      },
      2000,
    );
    assert.equal(exported.content.ballots.manifestRoot, anchored.manifestRoot);
    assert.equal(exported.content.ballots.counted.length, 3);
    assert.equal(exported.content.validation.tallyMatches, true);
    const checked = await cli(['audit', 'package', pkgFile, '--rpc', snap.nodes[0]!.status!.rpcUrl, '--root', info.rpcUrl]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.equal(JSON.parse(checked.stdout).ok, true);
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    root?.destroy();
    await devnet.stopAndCheck();
  }
});
