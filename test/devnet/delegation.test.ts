/**
 * Done means (issue 16, the devnet test): `bttc-node devnet` with 4 validators as real processes; a
 * delegator delegates to validator 2 through ethers on the devnet's root chain (buyVoucher on its
 * ValidatorShare), the change reaches Delivery's REST (validator, delegator, voting power), a
 * checkpoint pays rewards by stake (the delegators' part of validator 2's reward is its stake's
 * share, BTTC's rule in StakeManager._split), the delegator withdraws rewards, sells
 * (sellVoucher_new), cannot claim early, waits out the devnet's 2-checkpoint unbonding and claims
 * (unstakeClaimTokens_new). BTT balances are checked at each step. The flow needs three
 * checkpoints and is not about their length, so the devnet runs `--checkpoint-blocks 8` (~16 s of
 * Bttc blocks each, not the preset's 32): about 2 minutes on a shared 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type TransactionReceipt } from 'ethers';
import { getArtifact } from '../../src/contracts/build.ts';
import { DEVNET_WITHDRAWAL_DELAY } from '../../src/devnet/setup.ts';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of the other devnet tests (21000–31009, 31200–39200, 41000–53000, 53200–60200).
const BASE = 61000 + (process.pid % 300) * 10;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 8, p2p: BASE + 9 };
const VALIDATOR = 2n;
/** Bttc blocks per checkpoint: short, the rules under test (reward split, unbonding in epochs) do not depend on it. */
const CHECKPOINT_BLOCKS = 8;

interface RootJson {
  rpcUrl: string;
  contracts: { stakeManager: string; bttToken: string; stakingInfo: string };
}

// biome-ignore lint/suspicious/noExplicitAny: REST bodies of several shapes, read field by field below
type Json = any;

test('devnet: delegate to validator 2 on the root chain, see it in Delivery REST, earn by stake, withdraw, sell, claim after unbonding', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-delegation-'));
  const devnet = new DevnetProcess(dir, ['--validators', '4', '--checkpoint-blocks', String(CHECKPOINT_BLOCKS), ...devnetPortArgs(PORTS)]);
  let root: JsonRpcProvider | null = null;
  try {
    const snap = await until('4 validators up at height ≥ 3', 150_000, () => {
      const s = devnet.snapshot();
      return s?.nodes.every((n) => n.status && n.status.bttc.head >= 3 && n.status.peers >= 2) ? s : null;
    });
    const rest = snap.nodes[1]!.status!.restUrl;
    const info = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as RootJson;
    const genesis = JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { deployerKey: string };
    root = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    const gasPrice = BigInt((await root.send('eth_gasPrice', [])) as string);
    // Legacy transactions, gas from ethers' estimate: what a staking UI on the devnet's root chain sends.
    const TX = { type: 0, gasPrice };
    const deployer = new Wallet(genesis.deployerKey, root);
    const delegator = new Wallet(keccak256(toUtf8Bytes(`bttc-node delegation test ${process.pid}`)), root);
    const user = delegator.address.toLowerCase();
    const at = (name: string, address: string, runner: Wallet | JsonRpcProvider = root!) => new Contract(address, getArtifact(name).abi as never, runner);
    const sm = at('StakeManager', info.contracts.stakeManager);
    const btt = at('BttToken', info.contracts.bttToken);
    const votes = at('StakeVotes', (await sm.getFunction('stakeVotes')()) as string);
    const shareAddr = (await sm.getFunction('getValidatorContract')(VALIDATOR)) as string;
    const share = at('ValidatorShare', shareAddr, delegator);
    const send = async (p: Promise<{ wait(): Promise<TransactionReceipt | null> }>) => {
      const r = await (await p).wait();
      assert.equal(r?.status, 1);
      return r!;
    };
    // A staking call with gas as a wallet sets it: ethers' estimate plus half. A checkpoint mined first in
    // the same root block (one every ~16 s here) can make the call cost more than estimated (its first
    // write of the new rewards), and the bare estimate then runs out of gas.
    const call = async (c: Contract, fn: string, ...args: unknown[]) => {
      const f = c.getFunction(fn);
      const gasLimit = ((await f.estimateGas(...args, TX)) * 3n) / 2n;
      return send(f(...args, { ...TX, gasLimit }));
    };
    const balance = async () => (await btt.getFunction('balanceOf')(user)) as bigint;
    const get = async (path: string): Promise<{ status: number; body: Json }> => {
      const r = await fetch(rest + path);
      return { status: r.status, body: await r.json() };
    };
    const claimedIn = (logs: readonly { topics: readonly string[]; data: string }[]) => {
      const si = at('StakingInfo', info.contracts.stakingInfo).interface;
      let sum = 0n;
      for (const l of logs) {
        const p = si.parseLog({ topics: [...l.topics], data: l.data });
        if (p?.name === 'DelegatorClaimedRewards' && (p.args.user as string).toLowerCase() === user) sum += p.args.rewards as bigint;
      }
      return sum;
    };

    // Validator 2's own stake: delegate as much again, so its stake is half delegated.
    const self = (await sm.getFunction('validatorStake')(VALIDATOR)) as bigint;
    assert.equal(await sm.getFunction('delegatedAmount')(VALIDATOR), 0n);
    const amount = self;
    const minted = 2n * amount;
    await send(deployer.sendTransaction({ to: user, value: 10n ** 20n, ...TX }));
    await call(btt.connect(deployer) as Contract, 'mint', user, minted);
    await call(btt.connect(delegator) as Contract, 'approve', info.contracts.stakeManager, amount);
    assert.equal(await balance(), minted);

    // Bad input is refused with its reason.
    await assert.rejects(share.getFunction('buyVoucher').staticCall(0n, 0n), /cannot buy with 0/);

    // Delegate.
    const bought = await call(share, 'buyVoucher', amount, 0n);
    const b0 = bought.blockNumber;
    assert.equal(await balance(), minted - amount, 'the stake left the delegator');
    const [staked] = (await share.getFunction('getTotalStake')(user)) as [bigint, bigint];
    assert.equal(staked, amount);
    assert.equal(await votes.getFunction('getVotes')(user), amount, 'the delegator holds its stake as votes');

    // Delivery's REST: validator 2's stake, the delegation, the voting power at blocks.
    const v2 = await until('validator 2 with the delegation in Delivery REST', 60_000, async () => {
      const r = await get(`/staking/validator/${VALIDATOR}`);
      return r.body.result?.delegatedStake === String(amount) ? r.body.result : null;
    });
    assert.equal(v2.ID, 2);
    assert.equal(v2.power, 1, 'one validator, one vote');
    assert.deepEqual([v2.selfStake, v2.totalStake, v2.commissionRate, v2.delegatorCount, v2.partners], [String(self), String(self + amount), 0, 1, []]);
    const shares = (await share.getFunction('balanceOf')(user)) as bigint;
    assert.deepEqual((await get(`/staking/delegator/${user}`)).body.result, [{ validatorId: 2, delegator: user, shares: String(shares), stake: String(amount), unbonding: '0', rewardsClaimed: '0' }]);
    const vp = (await get(`/staking/voting-power/${user}`)).body.result;
    assert.equal(vp.votingPower, String(amount));
    assert.ok(vp.block >= b0);
    assert.deepEqual((await get(`/staking/voting-power/${user}?block=${b0 - 1}`)).body.result, { address: user, block: b0 - 1, votingPower: '0' });
    assert.deepEqual((await get(`/staking/voting-power/${user}?block=${b0}`)).body.result, { address: user, block: b0, votingPower: String(amount) });
    const future = await get(`/staking/voting-power/${user}?block=${b0 + 1_000_000}`);
    assert.equal(future.status, 400);
    assert.match(future.body.error, /not in the past of the staking chain/);

    // The devnet runs the short checkpoints asked for, on Delivery and on the root chain.
    assert.equal((await get('/checkpoints/params')).body.result.avg_checkpoint_length, CHECKPOINT_BLOCKS);
    assert.equal(await sm.getFunction('checkPointBlockInterval')(), BigInt(CHECKPOINT_BLOCKS));

    // A checkpoint pays validator 2 and its delegators by stake.
    const epoch0 = (await sm.getFunction('epoch')()) as bigint;
    await until('a checkpoint after the delegation', 200_000, async () => ((await sm.getFunction('epoch')()) as bigint) > epoch0);
    const b1 = await root.getBlockNumber();
    const delegatorsPart = (await sm.getFunction('delegatorsReward')(VALIDATOR, { blockTag: b1 })) as bigint;
    const ownBefore = (await sm.getFunction('validatorReward')(VALIDATOR, { blockTag: b0 })) as bigint;
    const ownAfter = (await sm.getFunction('validatorReward')(VALIDATOR, { blockTag: b1 })) as bigint;
    // A proposer bonus goes to the proposer's own reward only: take validator 2's out.
    let bonus = 0n;
    for (const l of await sm.queryFilter(sm.filters.CheckpointRewarded!(), b0 + 1, b1)) {
      const a = (l as unknown as { args: { proposerValidatorId: bigint; proposerBonus: bigint } }).args;
      if (a.proposerValidatorId === VALIDATOR) bonus += a.proposerBonus;
    }
    const earned = delegatorsPart + ownAfter - ownBefore - bonus;
    assert.ok(delegatorsPart > 0n, 'the delegators earned');
    // BTTC's rule (commission 0): delegators get earned × delegated / (own + delegated), here half;
    // each checkpoint floors once, so allow a wei per checkpoint.
    const expected = (earned * amount) / (self + amount);
    assert.ok(delegatorsPart >= expected - 3n && delegatorsPart <= expected + 3n, `delegators ${delegatorsPart} of ${earned}: expected ${expected} (stake ${amount} of ${self + amount})`);

    // Withdraw the rewards: the balance grows by exactly what was claimed, at least what was pending.
    const liquid = (await share.getFunction('getLiquidRewards')(user)) as bigint;
    assert.ok(liquid > 0n && liquid <= delegatorsPart + 1n, `liquid ${liquid}`);
    const before = await balance();
    const wr = await call(share, 'withdrawRewards');
    const claimed = claimedIn(wr.logs);
    assert.ok(claimed >= liquid, `claimed ${claimed} ≥ pending ${liquid}`);
    assert.equal(await balance(), before + claimed);
    await until('the claimed rewards in Delivery REST', 60_000, async () => (await get(`/staking/delegator/${user}`)).body.result[0]?.rewardsClaimed === String(claimed));

    // Sell everything: unbonding starts; the stake and the votes are gone at once.
    await assert.rejects(share.getFunction('sellVoucher_new').staticCall(amount + 1n, shares), /selling more than held/);
    const beforeSell = await balance();
    const sold = await call(share, 'sellVoucher_new', amount, shares);
    const paidAtSale = claimedIn(sold.logs);
    assert.equal(await balance(), beforeSell + paidAtSale, 'a sale pays pending rewards, not the stake');
    assert.equal(await votes.getFunction('getVotes')(user), 0n);
    assert.equal(((await share.getFunction('getTotalStake')(user)) as [bigint, bigint])[0], 0n);
    const nonce = (await share.getFunction('unbondNonces')(user)) as bigint;
    await assert.rejects(share.getFunction('unstakeClaimTokens_new').staticCall(nonce), /withdrawal delay not over/);
    await until('the sale in Delivery REST', 60_000, async () => {
      const d = (await get(`/staking/delegator/${user}`)).body.result[0];
      const v = (await get(`/staking/validator/${VALIDATOR}`)).body.result;
      return d?.unbonding === String(amount) && d.shares === '0' && v.delegatedStake === '0' && v.delegatorCount === 0;
    });
    assert.equal((await get(`/staking/voting-power/${user}?block=${sold.blockNumber}`)).body.result.votingPower, '0');
    assert.equal((await get(`/staking/voting-power/${user}?block=${sold.blockNumber - 1}`)).body.result.votingPower, String(amount));

    // Wait out the devnet's unbonding (DEVNET_WITHDRAWAL_DELAY checkpoints), then claim.
    const unbond = (await share.getFunction('unbonds_new')(user, nonce)) as [bigint, bigint];
    assert.equal(await sm.getFunction('withdrawalDelay')(), BigInt(DEVNET_WITHDRAWAL_DELAY));
    const claimable = unbond[1] + BigInt(DEVNET_WITHDRAWAL_DELAY);
    await until(`epoch ${claimable} (unbonding over)`, 360_000, async () => ((await sm.getFunction('epoch')()) as bigint) >= claimable, 1000);
    const beforeClaim = await balance();
    await call(share, 'unstakeClaimTokens_new', nonce);
    assert.equal(await balance(), beforeClaim + amount, 'the stake is back');
    await assert.rejects(share.getFunction('unstakeClaimTokens_new').staticCall(nonce), /no such unbond/);
    assert.equal(await balance(), minted + claimed + paidAtSale, 'every BTT accounted for: the mint, the stake back, the rewards');
    await until('the claim in Delivery REST', 60_000, async () => (await get(`/staking/delegator/${user}`)).body.result[0]?.unbonding === '0');
    // The node counted the stake events it applied, by event.
    const page = await (await fetch(snap.nodes[1]!.rpcUrl + '/metrics')).text();
    for (const ev of ['StakeUpdate', 'ShareMinted', 'ShareBurned', 'DelegatorClaimedRewards', 'DelegatorUnstaked']) {
      assert.match(page, new RegExp(`bttc_delivery_stake_events_total\\{event="${ev}",outcome="applied"\\} [1-9]`), ev);
    }
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    root?.destroy();
    await devnet.stopAndCheck();
  }
});
