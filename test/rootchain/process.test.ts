/**
 * Done-means test: `bttc-node rootchain` as a real process; a validator staked over JSON-RPC with
 * ethers; a checkpoint signed by 2/3+1 submitted through the ethers client and the submitter; the
 * NewHeaderBlock seen through the watcher; fewer or out-of-order signatures rejected; restart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, Wallet, Interface } from 'ethers';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { RootChainWatcher } from '../../src/root/watcher.ts';
import { CheckpointSubmitter } from '../../src/root/submitter.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { LevelStore } from '../../src/db/level.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { devKey } from '../../src/rootchain/genesis.ts';
import { checkpointSignBytes, signCheckpoint, type Checkpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata, sortForRootChain, toRootChainTriple } from '../../src/protocol/checkpoint/calldata.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { keyFromSecret } from '../helpers/keys.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const procs: ChildProcess[] = [];
/** Kills what a failed test left running (a passing test stops its own processes). */
function killLeftovers(): void {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
}

interface Started {
  proc: ChildProcess;
  info: { rpcUrl: string; chainId: number; contracts: { bttToken: string; stakeManager: string; rootChain: string; stateSender: string } };
}

function startRootChain(dataDir: string, extra: string[]): Promise<Started> {
  const proc = spawn(NODE, [join(ROOT, 'src/cli/main.ts'), 'rootchain', '--datadir', dataDir, '--port', '0', '--block-time', '0.25', ...extra], {
    env: { ...process.env, BTTC_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`rootchain did not start in 60 s; stderr: ${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const info = JSON.parse(out) as Started['info'];
        clearTimeout(timer);
        resolveStart({ proc, info });
      } catch {
        /* not the whole JSON yet */
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rootchain exited with ${code}: ${err}`));
    });
  });
}

function stopProcess(p: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    p.once('exit', (code) => r(code));
    p.kill('SIGTERM');
  });
}

const signerOf = (k: Uint8Array) => keyFromSecret(k).addressHex;

describe('bttc-node rootchain (real process)', { timeout: 180_000 }, () => {
  it('stakes, accepts a 2/3+1 checkpoint seen by the watcher, rejects fewer or unsorted, survives a restart', async (t) => {
    t.after(killLeftovers); // before the dirs are asked for: a failed test's processes die before their dirs go
    const dataDir = tempDir(t, 'rootchain-proc');
    let { proc, info } = await startRootChain(dataDir, ['--dev-validators', '4']);
    const art = loadArtifacts();
    const client = await EvmRootChainClient.connect({ rpcUrl: info.rpcUrl, rootChainId: 2, contracts: info.contracts, privateKey: bytesToHex(devKey('signer 0')) });
    const provider = client.provider;

    // Stake a fifth validator over JSON-RPC: the deployer (BTT owner) mints, the new owner stakes.
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const owner = new Wallet(bytesToHex(devKey('owner 4')), provider);
    const newSignerKey = devKey('signer 4');
    const btt = new Contract(info.contracts.bttToken, art.BttToken!.abi as never, deployer);
    const stakeAmount = 10n ** 19n;
    const fee = 10n ** 18n;
    const txOpts = { type: 0, gasPrice: 1_000_000_000n };
    await (await btt.getFunction('mint')(owner.address, stakeAmount + fee, txOpts)).wait();
    await (await deployer.sendTransaction({ to: owner.address, value: 10n ** 18n, ...txOpts })).wait();
    await (await (btt.connect(owner) as Contract).getFunction('approve')(info.contracts.stakeManager, stakeAmount + fee, txOpts)).wait();
    const sm = new Contract(info.contracts.stakeManager, art.StakeManager!.abi as never, owner);
    const stakeReceipt = await (await sm.getFunction('stakeFor')(owner.address, stakeAmount, fee, false, keyFromSecret(newSignerKey).publicKey.subarray(1), txOpts)).wait();
    assert.equal(stakeReceipt!.status, 1);
    assert.equal(await sm.getFunction('currentValidatorSetSize')(), 5n);

    // Watcher from block 0 with a confirmation depth of 1.
    const db = await LevelStore.open(tempDir(t, 'rootchain-watch'));
    const seen: RootEvent[] = [];
    const watcher = new RootChainWatcher({ confirmations: 1, pollIntervalMs: 100 }, { client, db, onEvent: (e) => void seen.push(e) });
    watcher.start();
    const waitFor = (pred: () => boolean, what: string) => until(() => `${what}; seen: ${seen.map((e) => e.name).join(',')}`, 30_000, pred, 100);
    await waitFor(() => seen.filter((e) => e.name === 'Staked').length === 5, 'five Staked events');
    const staked5 = seen.filter((e) => e.name === 'Staked')[4]!;
    assert.equal(staked5.args.validatorId, 5n);
    assert.equal(staked5.args.signer, signerOf(newSignerKey));

    // 5 validators: 2/3+1 = 4 signatures.
    const keys = [0, 1, 2, 3, 4].map((i) => devKey(`signer ${i}`));
    const cp: Checkpoint = { proposer: signerOf(keys[0]!), start: 0, end: 255, rootHash: '0x' + '5a'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: 1337199, epoch: 1 };
    const signBytes = checkpointSignBytes(cp);
    const sig = (k: Uint8Array) => ({ signer: signerOf(k), signature: signCheckpoint(cp, k) });
    const submitter = new CheckpointSubmitter({ receiptTimeoutMs: 20_000, receiptPollMs: 100 }, { client });

    // Fewer than 2/3+1: refused at estimation with the contract's reason, nothing sent.
    const three = await submitter.submit({ start: 0n, end: 255n, calldata: submitCheckpointCalldata(signBytes, keys.slice(0, 3).map(sig)) });
    assert.equal(three.outcome, 'failed');
    assert.match((three as { reason: string }).reason, /2\/3\+1 non-majority!/);
    // Four, out of order (the protocol core always sorts, so build the triples by hand): refused.
    const sorted = sortForRootChain(keys.slice(0, 4).map(sig));
    const unsorted = [sorted[0]!, sorted[2]!, sorted[1]!, sorted[3]!].map((s) => toRootChainTriple(s.signature));
    const unsortedCalldata = hexToBytes(new Interface(art.RootChain!.abi as never).encodeFunctionData('submitCheckpoint', [signBytes, unsorted]));
    const bad = await submitter.submit({ start: 0n, end: 255n, calldata: unsortedCalldata });
    assert.equal(bad.outcome, 'failed');
    assert.match((bad as { reason: string }).reason, /non-majority/);

    // 2/3+1, in order: submitted.
    const good = await submitter.submit({ start: 0n, end: 255n, calldata: submitCheckpointCalldata(signBytes, [keys[4]!, keys[1]!, keys[3]!, keys[0]!].map(sig)) });
    assert.equal(
      good.outcome,
      'submitted',
      JSON.stringify(good, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    assert.ok((good as { gasUsed: bigint }).gasUsed > 100_000n);
    await waitFor(() => seen.some((e) => e.name === 'NewHeaderBlock'), 'NewHeaderBlock');
    const nh = seen.find((e) => e.name === 'NewHeaderBlock')!;
    assert.equal(nh.args.headerBlockId, 10000n);
    assert.equal(nh.args.start, 0n);
    assert.equal(nh.args.end, 255n);
    assert.equal(nh.args.proposer, cp.proposer);
    assert.equal(nh.txHash, (good as { txHash: string }).txHash);
    // The same checkpoint again: recognised, not resent.
    const again = await submitter.submit({ start: 0n, end: 255n, calldata: submitCheckpointCalldata(signBytes, keys.slice(0, 4).map(sig)) });
    assert.equal(again.outcome, 'already-submitted');
    await watcher.stop();
    await client.close();
    assert.equal(await stopProcess(proc), 0);

    // Restart from the data directory: same contracts and state, and the watcher resumes without redelivering.
    ({ proc, info } = await startRootChain(dataDir, []));
    const client2 = await EvmRootChainClient.connect({ rpcUrl: info.rpcUrl, rootChainId: 2, contracts: info.contracts });
    assert.equal(await client2.currentHeaderBlock(), 10000n);
    assert.equal(await client2.lastChildBlock(), 255n);
    const before = seen.length;
    const watcher2 = new RootChainWatcher({ confirmations: 0 }, { client: client2, db, onEvent: (e) => void seen.push(e) });
    await watcher2.poll();
    assert.deepEqual(
      seen.slice(before).map((e) => e.name),
      [],
      'no event delivered twice after restart',
    );
    const seqs = seen.map((e) => e.sequence);
    assert.equal(new Set(seqs).size, seqs.length);
    await client2.close();
    await db.close();
    assert.equal(await stopProcess(proc), 0);
  });
});
