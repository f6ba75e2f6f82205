/**
 * Client compatibility: one script of calls a wallet or tool makes, run through ethers v6 and through
 * Foundry's cast against a real node backend (executor, chain store, the real txpool, call workers;
 * test/rpc/poolchain.ts). Blocks are mined by the script (`env.mine`), so transactions wait in the
 * pool exactly as long as a step needs.
 *
 * The steps are in test/rpc/compat-steps.ts (test/devnet/client-compat.test.ts runs them against a
 * live devnet). Each step is a named function of (env, client). `CompatClient` is the little a step
 * needs of a client: send a transaction letting the client choose nonce, gas and price, make a raw
 * call, and the client's own call/estimate commands (plus, where the client has them, its own proof
 * and replay commands). Two clients run every one of `GENERIC_STEPS`, each with its own funded keys:
 * ethers v6 and Foundry's cast (test/rpc/cast-client.ts: `cast send --async`, `cast rpc`, `cast
 * call`, `cast estimate`, `cast proof`, `cast run`). `ETHERS_STEPS` exercise ethers' own machinery
 * (its filter-based listeners and websocket subscriptions) and have no generic form.
 */
import { test, before, after } from 'node:test';
import { JsonRpcProvider } from 'ethers';
import { compileFixture } from '../evm/fixtures/compile.ts';
import { testAccounts } from '../evm/helpers.ts';
import { castClient, type CastClient } from './cast-client.ts';
import { ETHERS_STEPS, GENERIC_STEPS, ethersClient, type CompatClient, type CompatEnv } from './compat-steps.ts';
import { startPoolChain, type PoolChain } from './poolchain.ts';

// ---- the run: every generic step through ethers and through cast ----

const CHAIN_ID = 1029;
/** Keys 0-4 and 7-9 for the generic steps, 5 and 6 for the ethers-only ones. */
const KEYS_PER_CLIENT = 10;
const accounts = { ethers: testAccounts(KEYS_PER_CLIENT, 77), cast: testAccounts(KEYS_PER_CLIENT, 78) };
type ClientName = keyof typeof accounts;
const CLIENT_NAMES: ClientName[] = ['ethers', 'cast'];

let node: PoolChain;
let provider: JsonRpcProvider;
let cast: CastClient;
const envs = new Map<ClientName, CompatEnv>();
const clients = new Map<ClientName, CompatClient>();

before(async () => {
  const alloc = [...accounts.ethers, ...accounts.cast].map((a) => [a.address, { balance: 10n ** 22n }] as [Uint8Array, { balance: bigint }]);
  // A generous call deadline: the machine is shared, and a trace here takes milliseconds when it gets a core.
  node = await startPoolChain({ chainId: CHAIN_ID, calls: { evmTimeoutMs: 30_000 }, genesis: { gasLimit: 20_000_000n, time: 1_700_000_000n, alloc } });
  // cacheTimeout -1: ethers caches identical calls for 250 ms, and these steps read right after writing
  provider = new JsonRpcProvider(node.url, CHAIN_ID, { cacheTimeout: -1, staticNetwork: true });
  cast = castClient(node.url);
  clients.set('ethers', ethersClient(provider));
  clients.set('cast', cast);
  const shared = { url: node.url, wsUrl: node.wsUrl, chainId: CHAIN_ID, mine: () => node.mine(), token: compileFixture(), reference: clients.get('ethers')! };
  for (const name of CLIENT_NAMES) envs.set(name, { ...shared, keys: accounts[name].map((a) => a.key) });
});

after(async () => {
  provider?.destroy();
  cast?.close();
  await node?.close();
});

for (const name of CLIENT_NAMES) {
  for (const [step, run] of Object.entries(GENERIC_STEPS)) test(`${name}: ${step}`, () => run(envs.get(name)!, clients.get(name)!));
}

for (const [step, run] of Object.entries(ETHERS_STEPS)) test(`ethers: ${step}`, () => run(envs.get('ethers')!));
