/**
 * Staking on the embedded root chain (RootChainNode behind the real JSON-RPC server, driven with
 * ethers as an operator would): stake, top up, restake, signer change, unstake and a parameter
 * change. Every staking event comes from the StakingInfo address (BTTC's layout) and none from the
 * StakeManager; the watcher, following the addresses rootchain.json names, hands each to onEvent
 * with BTTC's arguments (StakeUpdate without a nonce), reported as contract 'StakeManager'.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, Wallet, type TransactionReceipt } from 'ethers';
import { devKey, devnetGenesis } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { RootChainWatcher } from '../../src/root/watcher.ts';
import type { RootEvent } from '../../src/root/abi.ts';
import { stakingSequence } from '../../src/root/sequence.ts';
import { LevelStore } from '../../src/db/level.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { bytesToHex } from '../../src/util/bytes.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const E18 = 10n ** 18n;
const TX = { type: 0, gasPrice: 1_000_000_000n };
const signerOf = (k: Uint8Array) => bytesToHex(addressFromPublicKey(publicKeyCreate(k, false)));
const pub64 = (k: Uint8Array) => bytesToHex(publicKeyCreate(k, false).subarray(1));

describe('staking events on the embedded root chain', { timeout: 120_000 }, () => {
  it("come from StakingInfo, none from the StakeManager, and reach the watcher with BTTC's arguments", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rootchain-staking-'));
    dirs.push(dir);
    const { json } = devnetGenesis({ validators: 2, staking: { signerUpdateLimit: 0 }, stakingGovernance: 'key' });
    const { node, url } = await serveRootChain(join(dir, 'chain'), json, cleanups);
    const c = node.info.contracts;
    // rootchain.json (what the devnet reads) names StakingInfo, and it is the StakeManager's logger.
    const infoFile = JSON.parse(readFileSync(node.writeInfo(url), 'utf8')) as { contracts: Record<string, string> };
    assert.equal(infoFile.contracts.stakingInfo, c.stakingInfo);
    const art = loadArtifacts();
    const client = await EvmRootChainClient.connect({ rpcUrl: url, rootChainId: 2, contracts: c });
    cleanups.push(() => client.close());
    const provider = client.provider;
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const smRead = new Contract(c.stakeManager, art.StakeManager!.abi as never, provider);
    assert.equal(((await smRead.getFunction('logger')()) as string).toLowerCase(), c.stakingInfo);
    assert.notEqual(c.stakingInfo, c.stakeManager);

    // A third validator: the deployer (BTT owner; governance, as this genesis keeps the StakeManager
    // with the key rather than the Timelock) funds a new owner, who stakes.
    const owner = new Wallet(bytesToHex(devKey('owner 9')), provider);
    const signerKey = devKey('signer 9');
    const nextSignerKey = devKey('signer 10');
    const btt = new Contract(c.bttToken, art.BttToken!.abi as never, deployer);
    await (await deployer.sendTransaction({ to: owner.address, value: E18, ...TX })).wait();
    await (await btt.getFunction('mint')(owner.address, 20n * E18, TX)).wait();
    await (await (btt.connect(owner) as Contract).getFunction('approve')(c.stakeManager, 20n * E18, TX)).wait();
    const sm = new Contract(c.stakeManager, art.StakeManager!.abi as never, owner);
    const firstStakingBlock = await provider.getBlockNumber();

    const receipts: { what: string; r: TransactionReceipt }[] = [];
    const run = async (what: string, tx: Promise<{ wait(): Promise<TransactionReceipt | null> }>) => {
      const r = (await (await tx).wait())!;
      assert.equal(r.status, 1, what);
      receipts.push({ what, r });
      return r;
    };
    await run('stakeFor', sm.getFunction('stakeFor')(owner.address, 10n * E18, E18, false, pub64(signerKey), TX));
    await run('topUpForFee', sm.getFunction('topUpForFee')(owner.address, E18, TX));
    await run('restake', sm.getFunction('restake')(3n, 5n * E18, false, TX));
    await run('updateSigner', sm.getFunction('updateSigner')(3n, pub64(nextSignerKey), TX));
    await run('unstake', sm.getFunction('unstake')(3n, TX));
    await run('updateValidatorThreshold', (sm.connect(deployer) as Contract).getFunction('updateValidatorThreshold')(50n, TX));

    // On chain: no log from the StakeManager; everything but token and NFT transfers (and the
    // voting-power checkpoints of StakeVotes) from StakingInfo.
    const transfers = new Set([c.bttToken, c.stakingNft, c.stakeVotes]);
    for (const { what, r } of receipts) {
      const from = r.logs.map((l) => l.address.toLowerCase());
      assert.ok(!from.includes(c.stakeManager), `${what}: a log from the StakeManager`);
      const staking = from.filter((a) => !transfers.has(a));
      assert.ok(staking.length > 0 && staking.every((a) => a === c.stakingInfo), `${what}: ${from.join(', ')}`);
    }

    // The watcher, from genesis: the two genesis validators, then the calls above, in order.
    const wdir = mkdtempSync(join(tmpdir(), 'rootchain-staking-watch-'));
    dirs.push(wdir);
    const db = await LevelStore.open(wdir);
    cleanups.push(() => db.close());
    const seen: RootEvent[] = [];
    const watcher = new RootChainWatcher({ confirmations: 0 }, { client, db, onEvent: (e) => void seen.push(e) });
    await watcher.poll();
    // Besides staking, only the StateSender's deployment.
    assert.deepEqual(
      seen.filter((e) => e.contract !== 'StakeManager').map((e) => `${e.contract}.${e.name}`),
      ['StateSender.OwnershipTransferred'],
    );
    const staking = seen.filter((e) => e.contract === 'StakeManager');
    assert.deepEqual(
      staking.filter((e) => e.blockNumber <= firstStakingBlock).map((e) => e.name),
      ['TopUpFee', 'Staked', 'TopUpFee', 'Staked'],
      'genesis stakes',
    );
    const mine = staking.filter((e) => e.blockNumber > firstStakingBlock);
    assert.deepEqual(
      mine.map((e) => e.name),
      ['TopUpFee', 'Staked', 'TopUpFee', 'StakeUpdate', 'Restaked', 'SignerChange', 'UnstakeInit', 'ThresholdChange'],
    );
    const by = (name: string, n = 0) => mine.filter((e) => e.name === name)[n]!;
    const signer = signerOf(signerKey);
    const total0 = (2n * 10n * E18 + 10n * E18) as bigint; // two genesis stakes of 10 × minDeposit, plus ours
    assert.deepEqual(by('TopUpFee', 0).args, { user: signer, fee: E18 }, 'the stake-time fee funds the signer (BTTC)');
    assert.deepEqual(by('Staked').args, { signer, validatorId: 3n, nonce: 1n, activationEpoch: 1n, amount: 10n * E18, total: total0, signerPubkey: pub64(signerKey) });
    assert.deepEqual(by('TopUpFee', 1).args, { user: owner.address.toLowerCase(), fee: E18 });
    assert.deepEqual(by('StakeUpdate').args, { validatorId: 3n, newAmount: 15n * E18 }, 'no nonce');
    assert.deepEqual(by('Restaked').args, { validatorId: 3n, amount: 15n * E18, total: total0 + 5n * E18 });
    assert.deepEqual(by('SignerChange').args, { validatorId: 3n, nonce: 2n, oldSigner: signer, newSigner: signerOf(nextSignerKey), signerPubkey: pub64(nextSignerKey) });
    assert.deepEqual(by('UnstakeInit').args, { user: owner.address.toLowerCase(), validatorId: 3n, nonce: 3n, deactivationEpoch: 2n, amount: 15n * E18 });
    assert.deepEqual(by('ThresholdChange').args, { newThreshold: 50n, oldThreshold: 100n });
    for (const e of mine) {
      const r = receipts.find((x) => x.r.hash === e.txHash);
      assert.ok(r, `${e.name} from one of our transactions`);
      assert.equal(e.sequence, stakingSequence(e.blockNumber, e.logIndex));
    }
  });
});
