/**
 * The stake events of the real root contracts (embedded root chain behind the real JSON-RPC server,
 * driven with ethers): a delegator buys and sells vouchers of validator 1, its owner changes the
 * commission, makes the validator a partnership that a second partner joins and leaves. The watcher
 * hands every StakingInfo event over; mapped to stake transactions and applied in log order, the
 * records equal what the contracts say (delegated amount, total stake, the delegator's stake,
 * partners). The staking-chain voting-power reader answers getPastVotes / getVotes and refuses a
 * block not yet in the past with a clear error.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, Wallet } from 'ethers';
import { RootChainNode } from '../../src/rootchain/node.ts';
import { rootChainBackend } from '../../src/rootchain/backend.ts';
import { devKey, devnetGenesis } from '../../src/rootchain/genesis.ts';
import { MethodRegistry } from '../../src/rpc/registry.ts';
import { RpcServer } from '../../src/rpc/server.ts';
import { registerEth } from '../../src/rpc/eth.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { RootChainWatcher } from '../../src/root/watcher.ts';
import { StakeVotesReader } from '../../src/root/stake-votes.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { LevelStore } from '../../src/db/level.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { applyStakeTx, joinStakeRecord } from '../../src/delivery/modules/staking/stake-apply.ts';
import { selfStakeOf, type DelegationRecord, type StakeView, type ValidatorStakeRecord } from '../../src/delivery/modules/staking/stake-store.ts';
import { stakeTxFromEvent } from '../../src/delivery/modules/staking/stake-txs.ts';
import { VotingPowerQueryError } from '../../src/delivery/modules/staking/voting-power.ts';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const E18 = 10n ** 18n;
const TX = { type: 0, gasPrice: 1_000_000_000n };

describe('stake events and voting power of the real root contracts', { timeout: 120_000 }, () => {
  it('events → stake records equal to the contracts; voting power read from StakeVotes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootchain-stake-'));
    dirs.push(dir);
    const { json } = devnetGenesis({ validators: 2 });
    const node = await RootChainNode.open({ dataDir: join(dir, 'chain'), genesisJson: json, blockTimeMs: 0 });
    const registry = new MethodRegistry({});
    registerEth(registry, rootChainBackend(node));
    const server = new RpcServer({ host: '127.0.0.1', port: 0 }, { registry });
    const { url } = await server.start();
    cleanups.push(async () => {
      await server.close();
      await node.close();
    });
    const c = node.info.contracts;
    const client = await EvmRootChainClient.connect({ rpcUrl: url, rootChainId: 2, contracts: c });
    cleanups.push(() => client.close());
    const provider = client.provider;
    const art = loadArtifacts();
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const owner = new Wallet(bytesToHex(devKey('owner 0')), provider);
    const alice = new Wallet(bytesToHex(devKey('delegator alice')), provider);
    const pat = new Wallet(bytesToHex(devKey('partner pat')), provider);
    const btt = new Contract(c.bttToken, art.BttToken!.abi as never, deployer);
    const sm = new Contract(c.stakeManager, art.StakeManager!.abi as never, owner);
    const startBlock = (await provider.getBlockNumber()) + 1;
    for (const w of [alice, pat]) {
      await (await deployer.sendTransaction({ to: w.address, value: E18, ...TX })).wait();
      await (await btt.getFunction('mint')(w.address, 1000n * E18, TX)).wait();
    }
    const share = new Contract((await sm.getFunction('getValidatorContract')(1n)) as string, art.ValidatorShare!.abi as never, alice);
    await (await (btt.connect(alice) as Contract).getFunction('approve')(c.stakeManager, 1000n * E18, TX)).wait();
    const bought = await (await share.getFunction('buyVoucher')(300n * E18, 0n, TX)).wait();
    await (await share.getFunction('sellVoucher_new')(100n * E18, 10n ** 40n, TX)).wait();
    await (await sm.getFunction('updateCommissionRate')(1n, 15n, TX)).wait();
    await (await sm.getFunction('createPartnership')(1n, TX)).wait();
    const partnership = new Contract((await sm.getFunction('partnershipOf')(1n)) as string, art.ValidatorPartnership!.abi as never, pat);
    await (await (btt.connect(pat) as Contract).getFunction('approve')(await partnership.getAddress(), 50n * E18, TX)).wait();
    await (await partnership.getFunction('join')(50n * E18, TX)).wait();
    await (await partnership.getFunction('leave')(TX)).wait();
    await assert.rejects(partnership.getFunction('leave').staticCall(), /partner already left/);

    // Watch it all, map it, apply it in log order.
    const db = await LevelStore.open(join(dir, 'watcher'));
    cleanups.push(() => db.close());
    const events: RootEvent[] = [];
    await new RootChainWatcher({ confirmations: 0, startBlock }, { client, db, onEvent: (e) => void events.push(e) }).poll();
    const names = events.map((e) => e.name);
    for (const n of ['ShareMinted', 'ShareBurned', 'StakeUpdate', 'UpdateCommissionRate', 'PartnerJoined', 'PartnerLeaveInit']) assert.ok(names.includes(n), `${n} among ${names.join(', ')}`);
    const v = new Map<number, ValidatorStakeRecord>();
    const d = new Map<string, DelegationRecord>();
    const view: StakeView = {
      validator: async (id) => (v.has(id) ? structuredClone(v.get(id)!) : null),
      delegation: async (u, id) => (d.has(`${u}/${id}`) ? { ...d.get(`${u}/${id}`)! } : null),
      putValidator: (r) => void v.set(r.validatorId, structuredClone(r)),
      putDelegation: (r) => void d.set(`${r.delegator}/${r.validatorId}`, { ...r }),
    };
    const self0 = (await sm.getFunction('validatorStake')(1n)) as bigint;
    view.putValidator(joinStakeRecord(1, self0, 0n)); // its Staked event precedes startBlock
    for (const e of events) {
      const tx = stakeTxFromEvent(e);
      if (!tx) continue;
      assert.equal((await applyStakeTx(tx, view, true)).outcome, 'applied', `${e.name} #${e.sequence}`);
    }
    const rec = v.get(1)!;
    const delegated = (await sm.getFunction('delegatedAmount')(1n)) as bigint;
    const own = (await sm.getFunction('validatorStake')(1n)) as bigint;
    assert.equal(delegated, 200n * E18);
    assert.equal(BigInt(rec.delegatedStake), delegated);
    assert.equal(selfStakeOf(rec), own);
    assert.equal(BigInt(rec.totalStake), own + delegated);
    assert.equal(rec.commissionRate, '15');
    const a = alice.address.toLowerCase();
    const [aliceStake] = (await share.getFunction('getTotalStake')(a)) as [bigint, bigint];
    assert.deepEqual(d.get(`${a}/1`), {
      validatorId: 1,
      delegator: a,
      shares: String(await share.getFunction('balanceOf')(a)),
      stake: String(aliceStake),
      unbonding: String(100n * E18),
      rewardsClaimed: '0',
    });
    const p = pat.address.toLowerCase();
    const founder = owner.address.toLowerCase();
    const leave = events.find((e) => e.name === 'PartnerLeaveInit')!;
    assert.deepEqual(
      rec.partners,
      [
        { address: founder, amount: String(self0), shares: String(self0), leaving: '0', withdrawEpoch: 0 },
        { address: p, amount: '0', shares: '0', leaving: String(50n * E18), withdrawEpoch: Number(leave.args.withdrawEpoch) },
      ].sort((x, y) => (x.address < y.address ? -1 : 1)),
    );

    // Voting power, through the node's reader.
    const reader = new StakeVotesReader({ provider, stakeManager: c.stakeManager });
    const b = bought!.blockNumber;
    assert.deepEqual(await reader.votes(a, b - 1), { block: b - 1, power: 0n });
    assert.deepEqual(await reader.votes(a, b), { block: b, power: 300n * E18 });
    const now = await reader.votes(a, null);
    assert.equal(now.power, 200n * E18);
    assert.equal(now.block, await provider.getBlockNumber());
    await assert.rejects(reader.votes(a, now.block + 5), (err: Error) => err instanceof VotingPowerQueryError && /block \d+ is not in the past of the staking chain/.test(err.message));
  });
});
