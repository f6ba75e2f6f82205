/**
 * `bttc-node audit voting-power` end to end against the embedded root chain (real contracts, real
 * JSON-RPC): delegators buy, delegate and sell through ethers; the CLI recomputes every account's
 * power from the VotesMoved logs and, with --check, agrees with getPastVotes/getPastTotalSupply.
 * Plus the pure recomputation's error paths and the CLI's bad-flag errors.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { devKey, devnetGenesis } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { AuditError } from '../../src/audit/interface.ts';
import { recomputeVotingPower, decodeVotesMoved, votesMovedTopic } from '../../src/audit/voting-power.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';

const E18 = 10n ** 18n;
const TX = { type: 0, gasPrice: 1_000_000_000n };
const ZERO = '0x0000000000000000000000000000000000000000';
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'audit', 'voting-power', ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('audit voting-power: recomputation', () => {
  const A = '0x' + 'aa'.repeat(20);
  const B = '0x' + 'bb'.repeat(20);
  it('adds created units, subtracts destroyed ones, moves delegated ones; ignores later blocks', () => {
    const vp = recomputeVotingPower(
      [
        { account: A, from: ZERO, to: A, amount: 5n, block: 1n },
        { account: B, from: ZERO, to: B, amount: 3n, block: 2n },
        { account: A, from: A, to: B, amount: 5n, block: 3n },
        { account: B, from: B, to: ZERO, amount: 1n, block: 4n },
      ],
      3n,
    );
    assert.equal(vp.total, 8n);
    assert.deepEqual([...vp.accounts], [[B, 8n]]);
    assert.deepEqual([...vp.touched].sort(), [A, B]);
  });
  it('refuses logs that are not a StakeVotes history', () => {
    assert.throws(
      () => recomputeVotingPower([{ account: A, from: A, to: B, amount: 1n, block: 1n }], 5n),
      (e: unknown) => e instanceof AuditError && /negative power/.test((e as Error).message),
    );
    const word = (x: string) => '0x' + x.padStart(64, '0');
    const log = { address: A, topics: [votesMovedTopic(), word('aa'), word('0'), word('bb')], data: word('5') + word('7').slice(2), blockNumber: '0x6' };
    assert.throws(() => decodeVotesMoved(log), /blockNumber 7 in the event, but the log is in block 6/);
    assert.throws(() => decodeVotesMoved({ ...log, topics: [word('1'), ...log.topics.slice(1)] }), /not a VotesMoved log/);
    assert.deepEqual(decodeVotesMoved({ ...log, blockNumber: '0x7' }), { account: '0x' + '00'.repeat(19) + 'aa', from: ZERO, to: '0x' + '00'.repeat(19) + 'bb', amount: 5n, block: 7n });
  });
});

describe('audit voting-power on the embedded root chain', { timeout: 300_000 }, () => {
  const dir = makeTempDir('audit-votes');
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    dir.remove();
  });

  it('recomputes every account from the logs and agrees with the contract (--check); bad flags exit 2 naming the flag', async () => {
    const { json } = devnetGenesis({ validators: 2 });
    const { node, url } = await serveRootChain(join(dir.path, 'chain'), json, cleanups);
    const c = node.info.contracts;
    const art = loadArtifacts();
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    cleanups.push(async () => provider.destroy());
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const owners = [0, 1].map((i) => new Wallet(bytesToHex(devKey(`owner ${i}`))).address.toLowerCase());
    const sm = new Contract(c.stakeManager, art.StakeManager!.abi as never, provider);
    assert.equal(((await sm.getFunction('stakeVotes')()) as string).toLowerCase(), c.stakeVotes);
    for (const [i, share] of c.validatorShares.entries()) assert.equal(((await sm.getFunction('getValidatorContract')(BigInt(i + 1))) as string).toLowerCase(), share);

    const btt = new Contract(c.bttToken, art.BttToken!.abi as never, deployer);
    const wallets = ['delegator a', 'delegator b'].map((l) => new Wallet(bytesToHex(devKey(l)), provider));
    for (const w of wallets) {
      await (await deployer.sendTransaction({ to: w.address, value: E18, ...TX })).wait();
      await (await btt.getFunction('mint')(w.address, 10n * E18, TX)).wait();
      await (await (btt.connect(w) as Contract).getFunction('approve')(c.stakeManager, 10n * E18, TX)).wait();
    }
    const [a, b] = wallets as [Wallet, Wallet];
    const share = (i: number, w: Wallet) => new Contract(c.validatorShares[i]!, art.ValidatorShare!.abi as never, w);
    const votes = (w: Wallet) => new Contract(c.stakeVotes, art.StakeVotes!.abi as never, w);
    await (await share(1, a).getFunction('buyVoucher')(3n * E18, 0n, TX)).wait();
    await (await share(0, b).getFunction('buyVoucher')(2n * E18, 0n, TX)).wait();
    await (await votes(b).getFunction('delegate')(owners[0], TX)).wait();
    const beforeSell = await provider.getBlockNumber();
    await (await share(1, a).getFunction('sellVoucher_new')(E18, E18, TX)).wait();
    const n = await provider.getBlockNumber();
    // One more block, so that getPastVotes answers for block n.
    await (await votes(b).getFunction('delegate')(b.address, TX)).wait();

    const out = await cli(['--rpc', url, '--stake-manager', c.stakeManager, '--block', String(n), '--check']);
    assert.equal(out.code, 0, out.stderr);
    const stake = 10n * E18; // devnet genesis: 10 × minDeposit each
    assert.deepEqual(JSON.parse(out.stdout), {
      block: String(n),
      total: String(2n * stake + 5n * E18 - E18),
      accounts: {
        ...Object.fromEntries([
          [owners[0]!, String(stake + 2n * E18)],
          [owners[1]!, String(stake)],
          [a.address.toLowerCase(), String(2n * E18)],
        ]),
      },
    });
    const earlier = await cli(['--rpc', url, '--stake-manager', c.stakeManager, '--block', String(beforeSell), '--check', '--account', a.address.toLowerCase(), '--range', '3']);
    assert.equal(earlier.code, 0, earlier.stderr);
    assert.deepEqual(JSON.parse(earlier.stdout).accounts, { [a.address.toLowerCase()]: String(3n * E18) });
    assert.equal(JSON.parse(earlier.stdout).total, String(2n * stake + 5n * E18));

    const head = await provider.getBlockNumber();
    const cases: [string[], RegExp][] = [
      [['--rpc', url, '--stake-manager', c.stakeManager, '--block', 'abc'], /--block: expected an integer/],
      [['--rpc', url, '--stake-manager', '0x12', '--block', '1'], /--stake-manager: expected a 0x-prefixed 20-byte address/],
      [['--rpc', url, '--stake-manager', c.stakeManager, '--block', '1', '--account', 'bob'], /--account: expected a 0x-prefixed 20-byte address/],
      [['--rpc', url, '--stake-manager', c.stakeManager, '--block', String(head + 5)], /--block: \d+ is beyond the chain head/],
      [['--rpc', url, '--stake-manager', c.stakeManager, '--block', String(head), '--check'], /--check: --block \d+ must be below the chain head/],
      [['--rpc', url, '--stake-manager', c.bttToken, '--block', '1'], /--stake-manager .*stakeVotes\(\) failed/],
      [['--rpc', url, '--stake-manager', '0x' + '12'.repeat(20), '--block', '1'], /--stake-manager: no contract at/],
      [['--rpc', url, '--block', '1'], /required option '--stake-manager/],
    ];
    const answers = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [k, [args, re]] of cases.entries()) {
      const r = answers[k]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });
});
