/**
 * Governance end to end on the embedded root chain (real contracts, real JSON-RPC, the CLI as a
 * process): the genesis hands the StakeManager to the Timelock; a holder proposes a StakeManager parameter
 * change together with a Delivery parameter (the Governor's checkpoint_buffer_time); three holders vote with `bttc-node gov vote`; the tally (src/gov, as each Delivery node
 * computes it) is signed by 3 of the 4 validators' signers and anchored with Governor.submitTally;
 * anyone queues it, executes it after the delay, and the parameter has changed. `bttc-node audit
 * tally` recomputes it from the root chain's logs and the ballot file: "match": true; a ballot file
 * missing one counted ballot gives "match": false and exit 1. Bad flags exit 2 naming the flag.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, id as keccakText, JsonRpcProvider, Wallet } from 'ethers';
import { DEVNET_GOVERNANCE } from '../../src/rootchain/deploy.ts';
import { devnetGenesis, devKey } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { domainSeparator } from '../../src/gov/ballot.ts';
import { paramKey } from '../../src/gov/params.ts';
import { judgeBallots, tallyProposal, type BallotEntry } from '../../src/gov/tally.ts';
import { signTally, submitTallyCalldata, tallyRecord } from '../../src/gov/tally-data.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';

const TX = { type: 0, gasPrice: 1_000_000_000n };
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('governance on the embedded root chain', { timeout: 300_000 }, () => {
  const dir = makeTempDir('gov-flow');
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    dir.remove();
  });

  it('propose → gov vote ×3 → anchored tally → queue → execute after the delay; audit tally matches', async () => {
    const { json, signerKeys, ownerKeys } = devnetGenesis({ validators: 4 });
    const { node, url } = await serveRootChain(join(dir.path, 'chain'), json, cleanups);
    const c = node.info.contracts;
    const art = loadArtifacts();
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    cleanups.push(async () => provider.destroy());
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const owners = ownerKeys.map((k) => new Wallet(bytesToHex(k), provider));
    const sm = new Contract(c.stakeManager, art.StakeManager!.abi as never, deployer);
    const governor = new Contract(c.governor, art.Governor!.abi as never, owners[0]);
    const chainId = BigInt(json.chainId as number);

    // The genesis handed the StakeManager to the Timelock: the deployer holds no setter.
    assert.equal(((await sm.getFunction('governance')()) as string).toLowerCase(), c.timelock);
    await assert.rejects(sm.getFunction('updateCheckpointReward').staticCall(1n, TX), /only governance/);
    const bufferKey = paramKey('checkpoint_buffer_time');
    await assert.rejects(governor.getFunction('setDeliveryParam').staticCall(bufferKey, 30n, TX), /Governor: only the timelock/);

    // One proposal, two changes: a StakeManager parameter and a Delivery parameter the Governor holds.
    const oldReward = (await sm.getFunction('checkpointReward')()) as bigint;
    const newReward = oldReward + 12345n;
    const targets = [c.stakeManager, c.governor];
    const values = [0n, 0n];
    const calldatas = [sm.interface.encodeFunctionData('updateCheckpointReward', [newReward]), governor.interface.encodeFunctionData('setDeliveryParam', [bufferKey, 30n])];
    const description = 'raise the checkpoint reward, shorten the checkpoint buffer time';
    // Power counts from the block after the stakes (the proposer's votes one block back): one block on.
    await (await deployer.sendTransaction({ to: deployer.address, value: 0n, ...TX })).wait();
    const receipt = await (await governor.getFunction('propose')(targets, values, calldatas, description, TX)).wait();
    const ev = governor.interface.parseLog(receipt!.logs.find((l: { topics: readonly string[] }) => l.topics[0] === governor.interface.getEvent('ProposalCreated')!.topicHash)!)!;
    const pid = ev.args.proposalId as bigint;
    const pidHex = `0x${pid.toString(16).padStart(64, '0')}`;
    const snapshot = ev.args.voteStart as bigint;
    const deadline = ev.args.voteEnd as bigint;
    assert.equal(deadline - snapshot, DEVNET_GOVERNANCE.votingPeriod);
    const tick = async () => (await deployer.sendTransaction({ to: deployer.address, value: 0n, ...TX })).wait();

    // Three holders vote through the CLI (owner 3 does not vote; owner 2 votes twice, the second replaces).
    const ballots: BallotEntry[] = [];
    const votes: [number, string, string][] = [
      [0, 'for', '1'],
      [1, 'for', '1'],
      [2, 'against', '1'],
      [2, 'for', '2'],
    ];
    for (const [i, support, nonce] of votes) {
      const keyFile = join(dir.path, `owner-${i}.key`);
      writeFileSync(keyFile, `${bytesToHex(ownerKeys[i]!)}\n`, { mode: 0o600 });
      const out = join(dir.path, `ballot-${i}-${nonce}.json`);
      const r = await cli([
        'gov',
        'vote',
        '--proposal',
        pid.toString(),
        '--support',
        support,
        '--nonce',
        nonce,
        '--key',
        keyFile,
        '--governor',
        c.governor,
        '--chain-id',
        chainId.toString(),
        '--reason',
        `owner ${i}`,
        '--out',
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      ballots.push({ height: 10 + ballots.length, json: JSON.parse(readFileSync(out, 'utf8')) });
    }
    // A forged ballot (owner 3's address, signed by owner 0) is refused as bad-signature.
    const owner3 = bytesToHex(addressFromPublicKey(publicKeyCreate(ownerKeys[3]!, false)));
    ballots.push({ height: 20, json: { ...(ballots[0]!.json as Record<string, unknown>), voter: owner3 } });
    const bad = await cli([
      'gov',
      'vote',
      '--proposal',
      pid.toString(),
      '--support',
      'maybe',
      '--nonce',
      '1',
      '--key',
      join(dir.path, 'owner-0.key'),
      '--governor',
      c.governor,
      '--chain-id',
      '1',
      '--out',
      '-',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--support: expected against, for, abstain, veto/);

    // Voting closes; every Delivery node computes the same tally (power via getPastVotes at the snapshot).
    await until(
      'the voting deadline',
      60_000,
      async () => {
        if (BigInt(await provider.getBlockNumber()) > deadline) return true;
        await tick();
        return false;
      },
      0,
    );
    assert.equal(Number(await governor.getFunction('state')(pid)), 2, 'Tallying');
    const votesC = new Contract(c.stakeVotes, art.StakeVotes!.abi as never, provider);
    const power = new Map<string, bigint>();
    for (const w of owners) power.set(w.address.toLowerCase(), (await votesC.getFunction('getPastVotes')(w.address, snapshot)) as bigint);
    const total = (await votesC.getFunction('getPastTotalSupply')(snapshot)) as bigint;
    const proposal = { id: pidHex, snapshot, deadline, closeHeight: 100 };
    const judged = judgeBallots(ballots, new Map([[pidHex, proposal]]), { domainSeparator: domainSeparator({ chainId, governor: c.governor }), power: (_p, v) => power.get(v) ?? 0n });
    assert.deepEqual(
      judged.refusals.map((r) => r.code),
      ['bad-signature'],
    );
    const tally = tallyProposal(proposal, judged.accepted.get(pidHex), total);
    assert.equal(tally.outcome, 'passed');
    assert.equal(tally.ballots.length, 3);
    assert.equal(tally.forVotes, 3n * (total / 4n));

    // Anchored with 3 of 4 signatures (checkpoint rule: ⌊2·4/3⌋+1 = 3).
    const rec = tallyRecord(tally, c.governor, chainId);
    const sigs = signerKeys.slice(1).map((k) => ({ signer: bytesToHex(addressFromPublicKey(publicKeyCreate(k, false))), signature: signTally(rec, k) }));
    const anyone = new Wallet(bytesToHex(devKey('anyone')), provider);
    await (await deployer.sendTransaction({ to: anyone.address, value: 10n ** 18n, ...TX })).wait();
    const two = submitTallyCalldata(rec, sigs.slice(0, 2));
    await assert.rejects(anyone.call({ to: c.governor, data: bytesToHex(two) }), /2\/3\+1 non-majority!/);
    await (await anyone.sendTransaction({ to: c.governor, data: bytesToHex(submitTallyCalldata(rec, sigs)), ...TX })).wait();
    assert.equal(Number(await governor.getFunction('state')(pid)), 4, 'Succeeded');

    // Queued and executed by anyone after the delay.
    const g2 = governor.connect(anyone) as Contract;
    await (await g2.getFunction('queue')(targets, values, calldatas, keccakText(description), TX)).wait();
    await assert.rejects(g2.getFunction('execute').staticCall(targets, values, calldatas, keccakText(description), TX), /Timelock: delay not passed/);
    await until('the timelock delay', 60_000, async () => {
      try {
        await g2.getFunction('execute').staticCall(targets, values, calldatas, keccakText(description), TX);
        return true;
      } catch {
        await tick();
        return false;
      }
    });
    const executed = await (await g2.getFunction('execute')(targets, values, calldatas, keccakText(description), TX)).wait();
    assert.equal(Number(await governor.getFunction('state')(pid)), 6, 'Executed');
    assert.equal(await sm.getFunction('checkpointReward')(), newReward);
    assert.equal(await governor.getFunction('deliveryParam')(bufferKey), 30n);
    const changed = executed!.logs.filter((l: { address: string }) => l.address.toLowerCase() === c.governor).map((l: { topics: readonly string[]; data: string }) => governor.interface.parseLog(l));
    const pc = changed.find((e: { name: string } | null) => e?.name === 'ParamChanged')!;
    assert.deepEqual([pc.args.key, pc.args.value, pc.args.oldValue], [bufferKey, 30n, 0n], 'ParamChanged, which Delivery mirrors');

    // The audit, from public data only.
    const setFile = join(dir.path, 'ballots.json');
    writeFileSync(setFile, JSON.stringify({ proposalId: pidHex, closeHeight: 100, ballots: ballots.map((b) => ({ height: b.height, ballot: b.json })) }));
    const audit = await cli(['audit', 'tally', '--proposal', pidHex, '--rpc', url, '--governor', c.governor, '--ballots', setFile]);
    assert.equal(audit.code, 0, audit.stderr);
    const out = JSON.parse(audit.stdout);
    assert.equal(out.match, true);
    assert.equal(out.manifestRoot, tally.manifestRoot);
    assert.equal(out.forVotes, tally.forVotes.toString());
    assert.equal(out.outcome, 'passed');
    assert.deepEqual(
      out.refusals.map((r: { code: string; voter: string }) => [r.code, r.voter]),
      [['bad-signature', owner3]],
    );
    // The same audit with the signatures recovered by two worker threads: the same JSON, refusals and all.
    const threaded = await cli(['audit', 'tally', '--proposal', pidHex, '--rpc', url, '--governor', c.governor, '--ballots', setFile, '--threads', '2']);
    assert.equal(threaded.code, 0, threaded.stderr);
    assert.deepEqual(JSON.parse(threaded.stdout), out);
    const missing = join(dir.path, 'ballots-missing.json');
    writeFileSync(missing, JSON.stringify({ proposalId: pidHex, closeHeight: 100, ballots: ballots.slice(1).map((b) => ({ height: b.height, ballot: b.json })) }));
    const mis = await cli(['audit', 'tally', '--proposal', pid.toString(), '--rpc', url, '--governor', c.governor, '--ballots', missing]);
    assert.equal(mis.code, 1, mis.stderr);
    assert.equal(JSON.parse(mis.stdout).match, false);
    assert.match(mis.stderr, /manifestRoot: recomputed/);
    const flagCases: [string[], RegExp][] = [
      [['--proposal', 'abc', '--rpc', url, '--governor', c.governor, '--ballots', setFile], /--proposal: expected a proposal id/],
      [['--proposal', pidHex, '--rpc', url, '--governor', '0x12', '--ballots', setFile], /--governor: expected a 0x-prefixed 20-byte address/],
      [['--proposal', pidHex, '--rpc', url, '--governor', c.governor], /exactly one of --ballots FILE and --rest URL/],
      [['--proposal', '0x01', '--rpc', url, '--governor', c.governor, '--ballots', setFile], /--ballots: the set is for proposal/],
      [['--proposal', pidHex, '--rpc', url, '--governor', c.governor, '--ballots', setFile, '--threads', 'two'], /--threads: expected an integer/],
    ];
    for (const [args, re] of flagCases) {
      const r = await cli(['audit', 'tally', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});
