/**
 * A root-chain reorg across a proposal's snapshot block does not corrupt the snapshot (issue 18).
 * The embedded root chain's store reorganises with `setHead` (the chain store's reorg path): the
 * test forks at the proposal block, so a delegator's stake bought before the snapshot exists only on
 * the abandoned branch. Afterwards the snapshot block number is unchanged, the contract's
 * getPastVotes, the power recomputed from eth_getLogs (canonical logs only) and the tally all see the
 * new branch, and that delegator's ballot is refused as no-power-at-snapshot.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { devnetGenesis, devKey } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { HttpEndpoint } from '../../src/audit/http.ts';
import { JsonRpcEndpoint } from '../../src/audit/json-rpc.ts';
import { fetchVotesMoved, recomputeVotingPower } from '../../src/audit/voting-power.ts';
import { domainSeparator, signBallot, signedBallotJson } from '../../src/gov/ballot.ts';
import { judgeBallots, tallyProposal } from '../../src/gov/tally.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { makeTempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import { serveRootChain } from '../helpers/root-chain-rpc.ts';

const TX = { type: 0, gasPrice: 1_000_000_000n };
const E18 = 10n ** 18n;

describe('governance snapshot across a root-chain reorg', { timeout: 300_000 }, () => {
  const dir = makeTempDir('gov-reorg');
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    dir.remove();
  });

  it('power at the snapshot follows the canonical branch: contract, logs and tally agree', async () => {
    const { json, ownerKeys } = devnetGenesis({ validators: 4 });
    const { node, url } = await serveRootChain(join(dir.path, 'chain'), json, cleanups);
    const c = node.info.contracts;
    const art = loadArtifacts();
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    cleanups.push(async () => provider.destroy());
    const deployer = new Wallet(bytesToHex(devKey('deployer')), provider);
    const owner0 = new Wallet(bytesToHex(ownerKeys[0]!), provider);
    const delegator = new Wallet(bytesToHex(devKey('reorg delegator')), provider);
    const btt = new Contract(c.bttToken, art.BttToken!.abi as never, deployer);
    await (await deployer.sendTransaction({ to: delegator.address, value: E18, ...TX })).wait();
    await (await btt.getFunction('mint')(delegator.address, 10n * E18, TX)).wait();
    await (await (btt.connect(delegator) as Contract).getFunction('approve')(c.stakeManager, 10n * E18, TX)).wait();
    const governor = new Contract(c.governor, art.Governor!.abi as never, owner0);
    const votes = new Contract(c.stakeVotes, art.StakeVotes!.abi as never, provider);
    const tick = async () => (await deployer.sendTransaction({ to: deployer.address, value: 0n, ...TX })).wait();
    const pastHead = (block: bigint) =>
      until(
        `the root chain past block ${block}`,
        60_000,
        async () => {
          if (BigInt(await provider.getBlockNumber()) > block) return true;
          await tick();
          return false;
        },
        0,
      );

    const rec = await (await governor.getFunction('propose')([c.stakeManager], [0n], ['0x'], 'reorg', TX)).wait();
    const created = governor.interface.parseLog(rec!.logs[0]!)!;
    const pid = created.args.proposalId as bigint;
    const snapshot = created.args.voteStart as bigint;
    const forkPoint = node.store.head();
    assert.equal(forkPoint.number, BigInt(rec!.blockNumber));

    // Branch A: the delegator stakes before the snapshot.
    const share = new Contract(c.validatorShares[0]!, art.ValidatorShare!.abi as never, delegator);
    const bought = await (await share.getFunction('buyVoucher')(3n * E18, 0n, TX)).wait();
    assert.ok(BigInt(bought!.blockNumber) <= snapshot);
    await pastHead(snapshot + 1n);
    assert.equal(await votes.getFunction('getPastVotes')(delegator.address, snapshot), 3n * E18);
    const rpc = new JsonRpcEndpoint(new HttpEndpoint(url, { flag: '--rpc', attempts: 1 }));
    const onA = recomputeVotingPower(await fetchVotesMoved(rpc, c.stakeVotes, 0n, snapshot), snapshot);
    assert.equal(onA.accounts.get(delegator.address.toLowerCase()), 3n * E18);
    const orphanHeight = node.store.head().number;

    // Reorg to the proposal block; branch B never sees the purchase.
    await node.store.setHead(forkPoint.hash);
    assert.equal(node.store.head().number, forkPoint.number);
    await pastHead(orphanHeight + 1n);
    assert.equal(await governor.getFunction('proposalSnapshot')(pid), snapshot, 'the proposal and its snapshot block survive');
    assert.equal(await votes.getFunction('getPastVotes')(delegator.address, snapshot), 0n);
    const onB = recomputeVotingPower(await fetchVotesMoved(rpc, c.stakeVotes, 0n, snapshot), snapshot);
    assert.equal(onB.accounts.get(delegator.address.toLowerCase()), undefined, 'no log of the abandoned branch counts');
    assert.equal(onB.total, (await votes.getFunction('getPastTotalSupply')(snapshot)) as bigint);
    assert.equal(onB.total, onA.total - 3n * E18);

    // The delegator's ballot is refused; owner 0's counts with the canonical power.
    const chainId = BigInt(json.chainId as number);
    const domain = { chainId, governor: c.governor };
    const pidHex = `0x${pid.toString(16).padStart(64, '0')}`;
    const ballotOf = (key: Uint8Array, voter: string) => {
      const b = { proposalId: pidHex, support: 1 as const, voter: voter.toLowerCase(), nonce: 1n, reason: '' };
      return signedBallotJson({ ballot: b, signature: signBallot(b, domain, key) });
    };
    const entries = [
      { height: 1, json: ballotOf(hexToBytes(bytesToHex(devKey('reorg delegator'))), delegator.address) },
      { height: 2, json: ballotOf(ownerKeys[0]!, owner0.address) },
    ];
    const proposal = { id: pidHex, snapshot, deadline: created.args.voteEnd as bigint, closeHeight: null };
    const judged = judgeBallots(entries, new Map([[pidHex, proposal]]), { domainSeparator: domainSeparator(domain), power: (_p, v) => onB.accounts.get(v) ?? 0n });
    assert.deepEqual(
      judged.refusals.map((r) => [r.index, r.code]),
      [[0, 'no-power-at-snapshot']],
    );
    const t = tallyProposal(proposal, judged.accepted.get(pidHex), onB.total);
    assert.equal(t.forVotes, await votes.getFunction('getPastVotes')(owner0.address, snapshot));
  });
});
