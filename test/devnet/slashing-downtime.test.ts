/**
 * Done means (issue 19, the devnet downtime case): `bttc-node devnet` with 4 validators as real
 * processes; one (not the checkpoint proposer) is stopped (SIGSTOP) for more than the devnet's
 * window; anyone accuses it with `bttc-node slash submit` (REST POST /slashing/evidence); nobody
 * challenges, so after the window the slash is batched, signed and applied on the root chain: 1% of
 * its own stake, none of its delegators', jailed; resumed, it unjails with its owner key once the
 * jail's epoch has passed. Delivery follows both: the validator leaves its set when jailed and is
 * back after UnJailed. Takes 2–4 minutes (one checkpoint).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet, type TransactionReceipt } from 'ethers';
import { getArtifact } from '../../src/contracts/build.ts';
import { loadConfig } from '../../src/config/load.ts';
import { until } from '../helpers/until.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';

const BASE = 65100 + (process.pid % 40) * 10;
const PORTS = { rpc: BASE, rest: BASE + 4, root: BASE + 8, p2p: BASE + 9 };
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const WINDOW = loadConfig('devnet').slashing.signedBlocksWindow;

// biome-ignore lint/suspicious/noExplicitAny: REST bodies, read field by field below
type Json = any;

test('devnet: a stopped validator accused of downtime is jailed after the window, and unjails after the jail', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bttc-downtime-'));
  const devnet = new DevnetProcess(dir, ['--validators', '4', ...devnetPortArgs(PORTS)]);
  let root: JsonRpcProvider | null = null;
  let stopped: number | null = null;
  try {
    const snap = await until('4 validators up', 150_000, () => {
      const s = devnet.snapshot();
      return s?.nodes.every((n) => n.status && n.status.bttc.head >= 2 && n.status.peers >= 2) ? s : null;
    });
    const proposer = snap.nodes[0]!.status!.delivery.checkpointProposer as string;
    const victim = snap.nodes.find((n) => n.index !== 0 && n.status!.signer !== proposer)!;
    const signer = victim.status!.signer as string;
    const rest = snap.nodes[0]!.status!.restUrl;
    const height = async () => Number(((await (await fetch(`${rest}/slashing/candidates`)).json()) as { height: string }).height);
    const info = JSON.parse(readFileSync(join(dir, 'rootchain', 'rootchain.json'), 'utf8')) as { rpcUrl: string; contracts: { stakeManager: string; stakingInfo: string } };
    root = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true, polling: false, cacheTimeout: -1 });
    const at = (name: string, address: string, runner: Wallet | JsonRpcProvider = root!) => new Contract(address, getArtifact(name).abi as never, runner);
    const sm = at('StakeManager', info.contracts.stakeManager);
    const id = (await sm.getFunction('signerToValidator')(signer)) as bigint;
    const ownBefore = (await sm.getFunction('validatorStake')(id)) as bigint;
    const delegatedBefore = (await sm.getFunction('delegatedAmount')(id)) as bigint;

    process.kill(victim.pid!, 'SIGSTOP');
    stopped = victim.pid!;
    const from = await height();
    await until(`${WINDOW + 3} heights without validator ${victim.index}`, 180_000, async () => (await height()) >= from + WINDOW + 3, 1000);
    const evFile = join(dir, 'downtime.json');
    writeFileSync(evFile, JSON.stringify({ v: 1, offense: 'downtime', validator: signer, toHeight: String((await height()) - 1), window: String(WINDOW) }));
    const submitted = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'slash', 'submit', '--evidence', evFile, '--delivery-rest', rest], (e, o, err) => (e ? reject(new Error(`${err}`)) : resolve(o))),
    );
    const { id: evId, queued } = JSON.parse(submitted) as { id: string; queued: boolean };
    assert.equal(queued, true);

    const cand = await until('the downtime candidate', 60_000, async () => ((await (await fetch(`${rest}/slashing/candidates`)).json()) as Json).result.find((c: Json) => c.id === evId) ?? null, 1000);
    assert.equal(cand.offense, 'downtime');
    const manager = at('SlashingManager', (await sm.getFunction('slashingManager')()) as string);
    await until('the slash applied on the root chain', 180_000, async () => ((await manager.getFunction('slashingNonce')()) as bigint) >= 1n, 1000);
    assert.equal(((await (await fetch(`${rest}/slashing/evidence/${evId}`)).json()) as Json).result.status, 'final');
    assert.equal((await sm.getFunction('validatorStake')(id)) as bigint, ownBefore - (ownBefore * 100n) / 10_000n, '1% of the own stake');
    assert.equal((await sm.getFunction('delegatedAmount')(id)) as bigint, delegatedBefore, 'delegators keep their stake for downtime');
    assert.equal((await sm.getFunction('isValidator')(id)) as boolean, false, 'jailed');
    const until_ = (await sm.getFunction('jailedUntil')(id)) as bigint;
    // Delivery mirrors the root Jailed: the record says jailed and the set (so spans) lacks it.
    const record = async () => ((await (await fetch(`${rest}/staking/validator/${id}`)).json()) as Json).result;
    const inSet = async () => (((await (await fetch(`${rest}/staking/validator-set`)).json()) as Json).result.validators as Json[]).some((v) => v.signer === signer);
    await until('Delivery jails it', 60_000, async () => (await record()).jailed === true && !(await inSet()), 1000);

    process.kill(stopped, 'SIGCONT');
    stopped = null;
    const keys = JSON.parse(readFileSync(join(dir, `node-${victim.index}`, 'validator-keys.json'), 'utf8')) as { owner: { privateKey: string } };
    const owner = new Wallet(keys.owner.privateKey, root);
    const TX = { type: 0, gasPrice: BigInt((await root.send('eth_gasPrice', [])) as string) };
    const genesis = JSON.parse(readFileSync(join(dir, 'root-genesis.json'), 'utf8')) as { deployerKey: string };
    await (await new Wallet(genesis.deployerKey, root).sendTransaction({ ...TX, to: owner.address, value: 10n ** 18n })).wait();
    await assert.rejects(at('StakeManager', info.contracts.stakeManager, owner).getFunction('unjail').staticCall(id), /jail not over/);
    await until(`epoch ${until_} (jail over)`, 300_000, async () => ((await sm.getFunction('epoch')()) as bigint) >= until_, 2000);
    const r = (await (await at('StakeManager', info.contracts.stakeManager, owner).getFunction('unjail')(id, TX)).wait()) as TransactionReceipt;
    assert.equal(r.status, 1);
    const si = at('StakingInfo', info.contracts.stakingInfo);
    assert.ok(r.logs.map((l) => si.interface.parseLog(l)).some((p) => p?.name === 'UnJailed' && p.args.validatorId === id));
    assert.equal((await sm.getFunction('isValidator')(id)) as boolean, true);
    await until('Delivery unjails it: back in the set', 60_000, async () => (await record()).jailed === false && (await inSet()), 1000);
    // Back for real: its precommits are in Delivery commits again after the unjail.
    const back = await height();
    await until(
      'it signs Delivery commits again',
      120_000,
      () => {
        const n = devnet.snapshot()?.nodes.find((x) => x.index === victim.index);
        return (n?.status?.delivery.lastSignedHeight ?? 0) > back;
      },
      1000,
    );
  } catch (err) {
    devnet.dumpOutput();
    throw err;
  } finally {
    if (stopped !== null) process.kill(stopped, 'SIGCONT');
    root?.destroy();
    await devnet.stopAndCheck();
  }
});
