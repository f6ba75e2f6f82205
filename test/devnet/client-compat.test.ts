/**
 * Done means: the client-compatibility script (test/rpc/compat-steps.ts) passes through ethers v6
 * and through Foundry's cast against a live devnet: `bttc-node devnet --validators 1`, real
 * processes, 2 s blocks the script does not control. `env.mine()` waits for a new head with the
 * pool's pending transactions gone instead of building a block.
 *
 * Steps that only need "sent, then mined" run as they are: logFilter, pendingFilter,
 * proofVerified, traces, callAndEstimate, and ethers' filter listeners and subscriptions. Steps
 * that need transactions to stay in the pool across a block boundary would race the chain, so they
 * have live-chain variants here:
 * - pendingNonceLive: two transactions back to back; neither is refused, both are mined, with
 *   consecutive nonces, and the pending count is right the moment the second is accepted.
 * - txpoolLive: a transaction two nonces ahead stays queued across blocks (txpool_status, content
 *   and inspect show it in geth's shapes); filling the gap gets all three mined and empties the pool.
 * - blockFilterLive: a block filter returns the hashes of the heads that followed its installation,
 *   in order, none twice; uninstalling ends it.
 * Each client has its own funded dev keys from <devnet dir>/loadtest-keys.json.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, getAddress } from 'ethers';
import { hexToBytes } from '../../src/util/bytes.ts';
import { compileFixture } from '../evm/fixtures/compile.ts';
import { DevnetProcess, devnetPortArgs } from '../helpers/devnet.ts';
import { until } from '../helpers/until.ts';
import { castClient, type CastClient } from '../rpc/cast-client.ts';
import { ETHERS_STEPS, GENERIC_STEPS, addressOf, ethersClient, receipt, signedTwoAhead, sink, type CompatClient, type CompatEnv, type RpcTx } from '../rpc/compat-steps.ts';

// Clear of the other devnet tests (12000–20000, 21000–39200, call-isolation's 39300–40020, 41000+): 40100–40820.
const BASE = 40100 + (process.pid % 180) * 4;
const PORTS = { rpc: BASE, rest: BASE + 1, p2p: BASE + 2, root: BASE + 3 };
const CHAIN_ID = 1337199;
/** Keys 0-4 and 7-9 for the generic steps, 5 and 6 for the ethers-only ones (as test/rpc/client-compat.test.ts). */
const KEYS_PER_CLIENT = 10;
const STEP_TIMEOUT = 90_000;

const blockNumber = async (c: CompatClient) => BigInt(await c.rpc<string>('eth_blockNumber'));
const nonceOf = async (c: CompatClient, who: string, tag: string) => BigInt(await c.rpc<string>('eth_getTransactionCount', [who, tag]));

/** Two transactions back to back: neither is refused, and they are mined with consecutive nonces. */
async function pendingNonceLive(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[0]!;
  const from = addressOf(key);
  const latest = await nonceOf(client, from, 'latest');
  const h1 = await client.sendTx(key, { to: sink, value: 1n });
  const h2 = await client.sendTx(key, { to: sink, value: 2n });
  assert.notEqual(h1, h2, 'the second transaction got its own nonce, not a replacement of the first');
  // Either both wait in the pool or some are mined already: the pending count is latest + 2 either way.
  assert.equal(await nonceOf(client, from, 'pending'), latest + 2n, 'pending counts both transactions');
  await env.mine();
  const txs = [];
  for (const h of [h1, h2]) {
    assert.equal((await receipt(client, h)).status, '0x1');
    txs.push(await client.rpc<RpcTx>('eth_getTransactionByHash', [h]));
  }
  assert.deepEqual(
    txs.map((t) => BigInt(t.nonce)),
    [latest, latest + 1n],
  );
  assert.ok(
    txs.every((t) => t.blockHash !== null),
    'both in a block',
  );
  assert.equal(await nonceOf(client, from, 'latest'), latest + 2n);
  assert.equal(await nonceOf(client, from, 'pending'), latest + 2n);
}

type PoolContent = { pending: Record<string, Record<string, RpcTx>>; queued: Record<string, Record<string, RpcTx>> };

/** txpool_content / txpool_inspect keyed as geth's: checksummed sender → decimal nonce. */
function assertPoolShape(content: Record<string, Record<string, unknown>>, what: string): void {
  for (const [sender, byNonce] of Object.entries(content)) {
    assert.equal(sender, getAddress(sender), `${what}: sender key ${sender} is checksummed`);
    for (const n of Object.keys(byNonce)) assert.match(n, /^[0-9]+$/, `${what}: nonce key ${n} is decimal`);
  }
}

/**
 * A transfer two nonces ahead of its account stays queued across blocks, shown by txpool_status,
 * txpool_content and txpool_inspect in geth's shapes; the client fills the gap, and all three are
 * mined in order with the pool left empty.
 */
async function txpoolLive(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[2]!;
  const from = addressOf(key);
  const start = await nonceOf(client, from, 'latest');
  const gapped = await client.rpc<string>('eth_sendRawTransaction', [await signedTwoAhead(env, client, key)]);
  const queuedNonce = String(start + 2n);
  const showsQueued = async (when: string) => {
    const status = await client.rpc<{ pending: string; queued: string }>('txpool_status');
    assert.deepEqual(Object.keys(status).sort(), ['pending', 'queued'], `${when}: txpool_status keys`);
    assert.match(status.pending, /^0x[0-9a-f]+$/);
    assert.ok(BigInt(status.queued) >= 1n, `${when}: the gapped transaction is counted as queued (${JSON.stringify(status)})`);
    const content = await client.rpc<PoolContent>('txpool_content');
    assertPoolShape(content.pending, 'txpool_content.pending');
    assertPoolShape(content.queued, 'txpool_content.queued');
    for (const byNonce of Object.values(content.pending)) for (const t of Object.values(byNonce)) assert.equal(t.blockHash, null, 'a pool transaction has no block');
    assert.equal(content.queued[from]?.[queuedNonce]?.hash, gapped, `${when}: queued under the checksummed sender ${from} and decimal nonce ${queuedNonce}`);
    assert.equal(content.pending[from], undefined, `${when}: nothing of this sender is pending`);
    const inspect = await client.rpc<{ queued: Record<string, Record<string, string>> }>('txpool_inspect');
    assert.match(inspect.queued[from]?.[queuedNonce] ?? '', new RegExp(`^${sink}: 1 wei \\+ 21000 gas × 1000000000 wei$`), `${when}: txpool_inspect's line`);
  };
  await showsQueued('just sent');
  await env.mine();
  await env.mine();
  await showsQueued('two blocks later');
  assert.equal(await client.rpc('eth_getTransactionReceipt', [gapped]), null, 'not mined while the gap is open');

  const fill1 = await client.sendTx(key, { to: sink, value: 2n });
  const fill2 = await client.sendTx(key, { to: sink, value: 3n });
  await env.mine();
  const mined = [];
  for (const h of [fill1, fill2, gapped]) {
    const r = await until(`the receipt of ${h}`, 20_000, () => client.rpc<{ status: string; blockNumber: string } | null>('eth_getTransactionReceipt', [h]));
    assert.equal(r.status, '0x1');
    mined.push(BigInt((await client.rpc<RpcTx>('eth_getTransactionByHash', [h])).nonce));
  }
  assert.deepEqual(mined, [start, start + 1n, start + 2n], 'filling the gap promoted the queued transaction');
  await until('the pool empty again', 10_000, async () => {
    const s = await client.rpc<{ pending: string; queued: string }>('txpool_status');
    return s.pending === '0x0' && s.queued === '0x0';
  });
}

/** eth_newBlockFilter on a live chain: each poll returns the heads since the last one, in order, none twice. */
async function blockFilterLive(_env: CompatEnv, client: CompatClient): Promise<void> {
  const h0 = await blockNumber(client);
  const id = await client.rpc<string>('eth_newBlockFilter');
  const h1 = await blockNumber(client);
  await until('two more heads', 20_000, async () => (await blockNumber(client)) >= h1 + 2n, 200);
  const numbersOf = async (hashes: string[]) =>
    Promise.all(
      hashes.map(async (h) => {
        const b = await client.rpc<{ number: string; hash: string } | null>('eth_getBlockByHash', [h, false]);
        assert.ok(b, `block ${h}`);
        return BigInt(b.number);
      }),
    );
  const first = await numbersOf(await client.rpc<string[]>('eth_getFilterChanges', [id]));
  assert.ok(first.length >= 2, `the heads since installation: ${first}`);
  assert.ok(first[0]! >= h0 + 1n && first[0]! <= h1 + 1n, `starting at the first head after installation (${h0 + 1n}–${h1 + 1n}): ${first}`);
  first.forEach((n, i) => i > 0 && assert.equal(n, first[i - 1]! + 1n, `consecutive: ${first}`));
  assert.ok(first.at(-1)! >= h1 + 2n, `up to the head: ${first}`);
  await until('another head', 10_000, async () => (await blockNumber(client)) > first.at(-1)!, 200);
  const second = await numbersOf(await client.rpc<string[]>('eth_getFilterChanges', [id]));
  assert.ok(second.length >= 1 && second[0] === first.at(-1)! + 1n, `a second poll continues where the first stopped (${first.at(-1)}): ${second}`);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), false);
  await assert.rejects(client.rpc('eth_getFilterChanges', [id]), /filter not found/);
}

const { logFilter, pendingFilter, proofVerified, traces, callAndEstimate } = GENERIC_STEPS;
const STEPS = { pendingNonceLive, txpoolLive, blockFilterLive, logFilter, pendingFilter, proofVerified, traces, callAndEstimate } as const;

type ClientName = 'ethers' | 'cast';
const CLIENT_NAMES: ClientName[] = ['ethers', 'cast'];
const dir = mkdtempSync(join(tmpdir(), 'bttc-client-compat-'));
const devnet = new DevnetProcess(dir, ['--validators', '1', ...devnetPortArgs(PORTS)]);
let provider: JsonRpcProvider | undefined;
let cast: CastClient | undefined;
const envs = new Map<ClientName, CompatEnv>();
const clients = new Map<ClientName, CompatClient>();
let failed = false;

before(async () => {
  const snap = await until('the validator up at height ≥ 2', 120_000, () => {
    const s = devnet.snapshot();
    return s?.nodes[0]?.status && s.nodes[0].status.bttc.head >= 2 ? s : null;
  });
  const url = snap.nodes[0]!.rpcUrl;
  // cacheTimeout -1: ethers caches identical calls for 250 ms, and these steps read right after writing
  provider = new JsonRpcProvider(url, CHAIN_ID, { cacheTimeout: -1, staticNetwork: true });
  cast = castClient(url);
  const ethers = ethersClient(provider);
  clients.set('ethers', ethers);
  clients.set('cast', cast);
  assert.equal(BigInt(await cast.rpc<string>('eth_chainId')), BigInt(CHAIN_ID));
  const keys = (JSON.parse(readFileSync(join(dir, 'loadtest-keys.json'), 'utf8')) as { keys: string[] }).keys.map(hexToBytes);
  /** A new head, and the pool's executable transactions gone from it (mined): what the script's `mine` was. */
  const mine = async () => {
    const start = await blockNumber(ethers);
    await until(
      'a new head with nothing pending',
      30_000,
      async () => {
        if ((await blockNumber(ethers)) <= start) return false;
        return (await ethers.rpc<{ pending: string }>('txpool_status')).pending === '0x0';
      },
      200,
    );
    const head = await ethers.rpc<{ number: string; transactions: string[] }>('eth_getBlockByNumber', ['latest', false]);
    return { number: BigInt(head.number), txs: head.transactions.length };
  };
  const shared = { url, wsUrl: url.replace(/^http/, 'ws'), chainId: CHAIN_ID, mine, token: compileFixture(), reference: ethers };
  CLIENT_NAMES.forEach((name, k) => envs.set(name, { ...shared, keys: keys.slice(k * KEYS_PER_CLIENT, (k + 1) * KEYS_PER_CLIENT) }));
});

after(async () => {
  if (failed) devnet.dumpOutput();
  provider?.destroy();
  cast?.close();
  await devnet.stopAndCheck();
});

async function run(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    failed = true;
    throw err;
  }
}

for (const name of CLIENT_NAMES) {
  for (const [step, fn] of Object.entries(STEPS)) test(`${name}: ${step}`, { timeout: STEP_TIMEOUT }, () => run(() => fn(envs.get(name)!, clients.get(name)!)));
}

for (const [step, fn] of Object.entries(ETHERS_STEPS)) test(`ethers: ${step}`, { timeout: STEP_TIMEOUT }, () => run(() => fn(envs.get('ethers')!)));
