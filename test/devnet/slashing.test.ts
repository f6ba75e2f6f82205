/**
 * Done means (issue 19, the devnet test): `bttc-node devnet` with 4 validators as real processes;
 * node 2 runs with the TEST-ONLY double-sign switch (BTTC_TEST_ONLY_DOUBLE_SIGN="2:<height>"), a
 * delegator has delegated to it on the root chain; its peers' consensus sees the two precommits,
 * the evidence enters Delivery as a tx, a candidate opens (GET /slashing/candidates), the challenge
 * window passes, the final slash is batched, signed 2/3+1 and submitted to the SlashingManager; the
 * root chain shows 5% of the own stake and 5% of the delegated stake cut, the delegator's stake down
 * by the documented share, the validator jailed (BTTC's Slashed/Jailed from StakingInfo), and
 * `bttc-node audit slash` on the REST record agrees with the amounts the root chain cut.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type TransactionReceipt } from 'ethers';
import { getArtifact } from '../../src/contracts/build.ts';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

// Clear of the other devnet tests (they use up to 64000).
const BASE = 64100 + (process.pid % 100) * 10;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 8, p2p: BASE + 9 };
const CHEATER = 2;
const DOUBLE_SIGN_HEIGHT = 40;
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

// biome-ignore lint/suspicious/noExplicitAny: REST bodies, read field by field below
type Json = any;

test('devnet: a double-signing validator is slashed on the root chain after the challenge window; its delegators share; audit slash agrees', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-slashing-'));
  process.env.BTTC_TEST_ONLY_DOUBLE_SIGN = `${CHEATER}:${DOUBLE_SIGN_HEIGHT}`;
  const devnet = new DevnetProcess(dir, ['--validators', '4', ...devnetPortArgs(PORTS)]);
  delete process.env.BTTC_TEST_ONLY_DOUBLE_SIGN;
  let root: JsonRpcProvider | null = null;
  try {
    const snap = await until('4 validators up', 150_000, () => {
      const s = devnet.snapshot();
      return s?.nodes.every((n) => n.status && n.status.bttc.head >= 2 && n.status.peers >= 2) ? s : null;
    });
    const rest = snap.nodes[0]!.status!.restUrl;
    const cheaterSigner = snap.nodes[CHEATER]!.status!.signer as string;
    const info = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { rpcUrl: string; contracts: { stakeManager: string; bttToken: string; stakingInfo: string } };
    const genesis = JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { deployerKey: string };
    root = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    const TX = { type: 0, gasPrice: BigInt((await root.send('eth_gasPrice', [])) as string) };
    const at = (name: string, address: string, runner: Wallet | JsonRpcProvider = root!) => new Contract(address, getArtifact(name).abi as never, runner);
    const sm = at('StakeManager', info.contracts.stakeManager);
    const id = (await sm.getFunction('signerToValidator')(cheaterSigner)) as bigint;
    assert.ok(id > 0n, 'the cheater is a staked validator');
    const get = async (path: string): Promise<{ status: number; body: Json }> => {
      const r = await fetch(rest + path);
      return { status: r.status, body: await r.json() };
    };
    const send = async (p: Promise<{ wait(): Promise<TransactionReceipt | null> }>) => {
      const r = await (await p).wait();
      assert.equal(r?.status, 1);
      return r!;
    };

    // A delegator stakes with the cheater before it misbehaves.
    const deployer = new Wallet(genesis.deployerKey, root);
    const delegator = new Wallet(keccak256(toUtf8Bytes(`bttc-node slashing test ${process.pid}`)), root);
    const amount = 1000n * 10n ** 18n;
    const btt = at('BttToken', info.contracts.bttToken, deployer);
    await send(btt.getFunction('mint')(delegator.address, amount, TX));
    await send(deployer.sendTransaction({ ...TX, to: delegator.address, value: 10n ** 18n }));
    await send(at('BttToken', info.contracts.bttToken, delegator).getFunction('approve')(info.contracts.stakeManager, amount, TX));
    const share = at('ValidatorShare', (await sm.getFunction('getValidatorContract')(id)) as string, delegator);
    await send(share.getFunction('buyVoucher')(amount, 0n, TX));
    const delivery = async () => (await get('/slashing/evidence')).body.result as Json[];
    assert.equal((await delivery()).length, 0, `no evidence before height ${DOUBLE_SIGN_HEIGHT} (the delegation must come first)`);
    const ownBefore = (await sm.getFunction('validatorStake')(id)) as bigint;
    const delegatedBefore = (await sm.getFunction('delegatedAmount')(id)) as bigint;
    const [userBefore] = (await share.getFunction('getTotalStake')(delegator.address)) as [bigint, bigint];

    // Detection → candidate in Delivery.
    const candidate = await until(
      'a double-sign candidate in Delivery REST',
      180_000,
      async () => (await get('/slashing/candidates')).body.result?.find((c: Json) => c.validator === cheaterSigner) ?? null,
      1000,
    );
    assert.equal(candidate.offense, 'double-sign');
    assert.equal(BigInt(candidate.validatorId), id);
    assert.ok(candidate.closesAt > candidate.openedAt, 'a challenge window');
    // Window passes → final → batch signed → submitted.
    const slashingManager = (await sm.getFunction('slashingManager')()) as string;
    const manager = at('SlashingManager', slashingManager);
    await until('the slash batch applied on the root chain', 240_000, async () => ((await manager.getFunction('slashingNonce')()) as bigint) >= 1n, 1000);
    const record = (await get(`/slashing/evidence/${candidate.id}`)).body.result as Json;
    assert.equal(record.status, 'final');
    assert.deepEqual(record.penalty, { selfBps: 500, delegatorBps: 500, jailEpochs: 4, prior: 0 });
    assert.ok(((await get('/slashing/final')).body.result as Json[]).some((r) => r.id === candidate.id));

    // Root chain: stake cut, delegators' share, jail, BTTC's events.
    const applied = (await root.getLogs({ address: slashingManager, fromBlock: 0 })).map((l) => manager.interface.parseLog(l)!).find((p) => p.name === 'SlashApplied')!;
    assert.equal((applied.args.evidenceHash as string).toLowerCase(), candidate.id);
    const selfCut = (ownBefore * 500n) / 10_000n;
    const delegatedCut = (delegatedBefore * 500n) / 10_000n;
    assert.equal(applied.args.selfAmount, selfCut);
    assert.equal(applied.args.delegatorAmount, delegatedCut);
    assert.equal((await sm.getFunction('validatorStake')(id)) as bigint, ownBefore - selfCut);
    assert.equal((await sm.getFunction('delegatedAmount')(id)) as bigint, delegatedBefore - delegatedCut);
    const [userAfter] = (await share.getFunction('getTotalStake')(delegator.address)) as [bigint, bigint];
    assert.ok(userBefore - userAfter - (userBefore * 500n) / 10_000n <= 1n, `the delegator lost 5% (±1 wei): ${userBefore} → ${userAfter}`);
    assert.equal((await sm.getFunction('isValidator')(id)) as boolean, false, 'jailed');
    assert.ok(((await sm.getFunction('jailedUntil')(id)) as bigint) > 0n);
    const si = at('StakingInfo', info.contracts.stakingInfo);
    const events = (await root.getLogs({ address: info.contracts.stakingInfo, fromBlock: 0 })).map((l) => si.interface.parseLog(l)!);
    assert.ok(events.some((e) => e.name === 'Jailed' && e.args.validatorId === id && (e.args.signer as string).toLowerCase() === cheaterSigner));
    assert.ok(events.some((e) => e.name === 'Slashed' && e.args.nonce === 1n && e.args.amount === selfCut + delegatedCut));

    // audit slash on the REST record agrees with the root chain.
    const evFile = join(dir, 'record.json');
    writeFileSync(evFile, JSON.stringify(record));
    const ctxFile = join(dir, 'validators.json');
    const others = { [delegator.address.toLowerCase()]: userBefore.toString() };
    const rest0 = delegatedBefore - userBefore;
    if (rest0 > 0n) others['0x00000000000000000000000000000000000000aa'] = rest0.toString();
    writeFileSync(
      ctxFile,
      JSON.stringify({ chainId: record.evidence.chainId, height: record.recordedAt, validators: [{ signer: cheaterSigner, id: Number(id), self: ownBefore.toString(), delegators: others }] }),
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'audit', 'slash', '--evidence', evFile, '--validators', ctxFile], (e, o, err) => (e ? reject(new Error(err)) : resolve(o))),
    );
    const audit = JSON.parse(out);
    assert.equal(audit.decision, 'slash');
    assert.equal(audit.id, candidate.id);
    assert.equal(audit.amounts.self, selfCut.toString());
    assert.equal(audit.amounts.delegators, delegatedCut.toString());
    assert.ok(BigInt(audit.amounts.perStaker[delegator.address.toLowerCase()]) - (userBefore - userAfter) <= 1n);
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    root?.destroy();
    await devnet.stopAndCheck();
  }
});
