/**
 * The client-compatibility script (test/rpc/client-compat.test.ts, test/devnet/client-compat.test.ts):
 * what a step needs of a client (`CompatClient`) and of the chain (`CompatEnv`), the steps, and
 * the helpers live-chain variants of them share. Each step is a named function of (env, client).
 * `CompatClient` is the little a step needs of a client: send a transaction letting the client
 * choose nonce, gas and price, make a raw call, and the client's own call/estimate commands (plus,
 * where the client has them, its own proof and replay commands). `GENERIC_STEPS` run through every
 * client (ethers v6 here, Foundry's cast in test/rpc/cast-client.ts); `ETHERS_STEPS` exercise
 * ethers' own machinery (its filter-based listeners and websocket subscriptions).
 */
import assert from 'node:assert/strict';
import { verifyMerkleProof } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { Contract, Interface, JsonRpcProvider, WebSocketProvider, Wallet, concat, keccak256, toBeHex, zeroPadValue, id as topicId } from 'ethers';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import type { Compiled } from '../evm/fixtures/compile.ts';

export interface CompatEnv {
  url: string;
  wsUrl: string;
  chainId: number;
  /** Funded private keys; each step uses its own so steps do not share nonces. */
  keys: Uint8Array[];
  /** Builds one block from the pool's executable transactions. */
  mine(): Promise<{ number: bigint; txs: number }>;
  token: Compiled;
  /** ethers on the same node: what another client's call and estimate answers are compared with. */
  reference: CompatClient;
}

export interface CallTx {
  from?: string;
  to: string;
  data: string;
  value?: bigint;
}

/** eth_getProof's result (EIP-1186). */
export interface ProofJson {
  address: string;
  accountProof: string[];
  balance: string;
  codeHash: string;
  nonce: string;
  storageHash: string;
  storageProof: { key: string; value: string; proof: string[] }[];
}

export interface CompatClient {
  readonly name: string;
  /** Signs and sends with the client's own nonce ("pending"), gas and price; resolves with the hash once the node accepted it. */
  sendTx(key: Uint8Array, tx: { to?: string; value?: bigint; data?: string }): Promise<string>;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** The client's own eth_call (ethers: provider.call; cast: cast call): the return data. Rejects on a revert. */
  call(tx: CallTx, block?: bigint): Promise<string>;
  /** The client's own eth_estimateGas (ethers: provider.estimateGas; cast: cast estimate). */
  estimateGas(tx: CallTx & { from: string }): Promise<bigint>;
  /** The client's own proof command, if it has one (cast proof), parsed to eth_getProof's shape. */
  getProof?(address: string, slots: string[], block: bigint): Promise<ProofJson>;
  /** Replays a mined transaction with the client's own tooling, if it has any (cast run): what it prints. */
  replayTx?(hash: string): Promise<string>;
}

export interface RpcTx {
  hash: string;
  nonce: string;
  from: string;
  to: string | null;
  gas: string;
  input: string;
  blockHash: string | null;
}
interface RpcReceipt {
  status: string;
  contractAddress: string | null;
  blockNumber: string;
  gasUsed: string;
}
interface RpcLog {
  address: string;
  topics: string[];
  transactionHash: string;
}

const TRANSFER = topicId('Transfer(address,address,uint256)');
const hexQ = (n: bigint | number) => '0x' + BigInt(n).toString(16);
export const addressOf = (key: Uint8Array) => new Wallet(bytesToHex(key)).address;
export const sink = Wallet.createRandom().address;
const word = (v: bigint) => '0x' + v.toString(16).padStart(64, '0');

export async function receipt(client: CompatClient, hash: string): Promise<RpcReceipt> {
  const r = await client.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
  assert.ok(r, `receipt of ${hash}`);
  return r;
}

async function deployToken(env: CompatEnv, client: CompatClient, key: Uint8Array, supply: bigint): Promise<string> {
  const iface = new Interface(env.token.abi as never);
  const hash = await client.sendTx(key, { data: env.token.bytecode + iface.encodeDeploy([supply]).slice(2) });
  await env.mine();
  const r = await receipt(client, hash);
  assert.equal(r.status, '0x1');
  return r.contractAddress!;
}

/** Two transactions in a row, neither mined: the second must get the next nonce, not the same one. */
export async function pendingNonceTwoInFlight(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[0]!;
  const from = addressOf(key);
  const latest = BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'latest']));
  const h1 = await client.sendTx(key, { to: sink, value: 1n });
  const h2 = await client.sendTx(key, { to: sink, value: 2n });
  assert.notEqual(h1, h2);
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'pending'])), latest + 2n, 'pending counts both in-flight transactions');
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'latest'])), latest, 'latest is the head state');
  // Before inclusion the node answers them from its pool, with no block (geth's shape).
  const t1 = await client.rpc<RpcTx>('eth_getTransactionByHash', [h1]);
  const t2 = await client.rpc<RpcTx>('eth_getTransactionByHash', [h2]);
  assert.deepEqual([BigInt(t1.nonce), BigInt(t2.nonce)], [latest, latest + 1n]);
  assert.equal(t1.blockHash, null);
  const mined = await env.mine();
  assert.equal(mined.txs, 2);
  for (const h of [h1, h2]) assert.equal((await receipt(client, h)).status, '0x1');
  assert.equal(BigInt(await client.rpc<string>('eth_getTransactionCount', [from, 'pending'])), latest + 2n);
}

/**
 * txpool_status/content/inspect while one sender has two executable transactions and another a
 * gapped one; then the gap is filled, which promotes the queued one, so the pool is empty again.
 */
export async function txpoolShapes(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[1]!;
  const from = addressOf(key);
  const h1 = await client.sendTx(key, { to: sink, value: 5n });
  const h2 = await client.sendTx(key, { to: sink, value: 6n });
  const gapKey = env.keys[2]!;
  await client.rpc('eth_sendRawTransaction', [await signedTwoAhead(env, client, gapKey)]);
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x2', queued: '0x1' });
  const content = await client.rpc<{ pending: Record<string, Record<string, RpcTx>>; queued: Record<string, Record<string, RpcTx>> }>('txpool_content');
  const mine = content.pending[from]!;
  assert.ok(mine, `pending keyed by the checksummed sender ${from}: ${Object.keys(content.pending)}`);
  const nonces = Object.keys(mine);
  assert.deepEqual(
    nonces.map((n) => mine[n]!.hash),
    [h1, h2],
  );
  assert.ok(
    nonces.every((n) => /^[0-9]+$/.test(n)),
    'nonce keys are decimal',
  );
  assert.ok(content.queued[addressOf(gapKey)], 'the gapped transaction is queued');
  const inspect = await client.rpc<{ pending: Record<string, Record<string, string>> }>('txpool_inspect');
  const line = inspect.pending[from]![nonces[0]!]!;
  assert.match(line, new RegExp(`^${sink}: 5 wei \\+ \\d+ gas × \\d+ wei$`));
  await env.mine();
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x0', queued: '0x1' });
  await client.sendTx(gapKey, { to: sink, value: 2n });
  await client.sendTx(gapKey, { to: sink, value: 3n });
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x3', queued: '0x0' }, 'filling the gap promotes the queued transaction');
  assert.equal((await env.mine()).txs, 3);
  assert.deepEqual(await client.rpc('txpool_status'), { pending: '0x0', queued: '0x0' });
}

/** A transfer two nonces ahead of the account: a client would fill the gap, so it is signed by hand (and relayed raw). */
export async function signedTwoAhead(env: CompatEnv, client: CompatClient, key: Uint8Array): Promise<string> {
  const w = new Wallet(bytesToHex(key));
  const nonce = BigInt(await client.rpc<string>('eth_getTransactionCount', [w.address, 'pending']));
  return w.signTransaction({ to: sink, value: 1n, nonce: Number(nonce) + 2, gasLimit: 21000n, gasPrice: 1_000_000_000n, chainId: env.chainId });
}

/** eth_newBlockFilter: each poll returns the hashes of blocks since the last; uninstall ends it. */
export async function blockFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const id = await client.rpc<string>('eth_newBlockFilter');
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  const a = await env.mine();
  const b = await env.mine();
  const hashes = await client.rpc<string[]>('eth_getFilterChanges', [id]);
  const want = await Promise.all([a.number, b.number].map(async (n) => (await client.rpc<{ hash: string }>('eth_getBlockByNumber', [hexQ(n), false])).hash));
  assert.deepEqual(hashes, want);
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), [], 'a second poll has nothing new');
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), false);
  await assert.rejects(client.rpc('eth_getFilterChanges', [id]), /filter not found/);
}

/** eth_newFilter on a contract's Transfer logs: changes since the last poll, and the whole range with eth_getFilterLogs. */
export async function logFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[3]!;
  const token = await deployToken(env, client, key, 1000n);
  const id = await client.rpc<string>('eth_newFilter', [{ fromBlock: '0x0', address: token, topics: [TRANSFER] }]);
  const iface = new Interface(env.token.abi as never);
  const h = await client.sendTx(key, { to: token, data: iface.encodeFunctionData('transfer', [sink, 9n]) });
  await env.mine();
  const changes = await client.rpc<RpcLog[]>('eth_getFilterChanges', [id]);
  assert.deepEqual(
    changes.map((l) => l.transactionHash),
    [h],
  );
  assert.equal(changes[0]!.address.toLowerCase(), token.toLowerCase());
  const all = await client.rpc<RpcLog[]>('eth_getFilterLogs', [id]);
  assert.equal(all.length, 2, 'the mint at deployment and the transfer');
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
}

/** eth_newPendingTransactionFilter: hashes of transactions the pool accepted since the last poll. */
export async function pendingFilter(env: CompatEnv, client: CompatClient): Promise<void> {
  const id = await client.rpc<string>('eth_newPendingTransactionFilter');
  const h = await client.sendTx(env.keys[4]!, { to: sink, value: 3n });
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), [h]);
  assert.deepEqual(await client.rpc('eth_getFilterChanges', [id]), []);
  await env.mine();
  assert.equal(await client.rpc('eth_uninstallFilter', [id]), true);
}

// ---- proofs, traces, calls: served by the call workers ----

const EMPTY_CODE_HASH = keccak256('0x');
const EMPTY_TRIE_ROOT = keccak256(RLP.encode(new Uint8Array(0)));
const big = (b: Uint8Array) => (b.length === 0 ? 0n : BigInt(bytesToHex(b)));
const hexBig = (v: string) => BigInt(v);

/** TestToken's balanceOf mapping is slot 1: keccak(holder . 1). */
function balanceSlot(holder: string): string {
  return keccak256(concat([zeroPadValue(holder, 32), toBeHex(1n, 32)]));
}

/**
 * Checks an account proof against the state root with EthereumJS's verifier (it rebuilds the trie
 * from the nodes, the first of which must hash to the root) and the proven RLP account against the
 * answer's fields. Returns whether the account exists.
 */
async function verifyAccountProof(p: ProofJson, stateRoot: string): Promise<boolean> {
  const nodes = p.accountProof.map(hexToBytes);
  assert.ok(nodes.length > 0, 'a proof, even of absence, walks from the root');
  assert.equal(keccak256(nodes[0]!), stateRoot, 'the first node is the state root');
  const value = await verifyMerkleProof(hexToBytes(p.address), nodes, { root: hexToBytes(stateRoot), useKeyHashing: true });
  if (value === null) {
    assert.deepEqual([p.balance, p.nonce, p.codeHash, p.storageHash], ['0x0', '0x0', EMPTY_CODE_HASH, EMPTY_TRIE_ROOT], 'an absent account is the empty account');
    return false;
  }
  const [nonce, balance, storageRoot, codeHash] = RLP.decode(value) as Uint8Array[];
  assert.equal(hexBig(p.nonce), big(nonce!), 'nonce');
  assert.equal(hexBig(p.balance), big(balance!), 'balance');
  assert.equal(p.storageHash, bytesToHex(storageRoot!), 'storageHash');
  assert.equal(p.codeHash, bytesToHex(codeHash!), 'codeHash');
  return true;
}

/** The value a storage proof proves for `slot` under the account's storage root (0 when absent). */
async function verifyStorageProof(s: ProofJson['storageProof'][number], slot: string, storageHash: string): Promise<bigint> {
  assert.equal(s.key, slot, 'a full 32-byte key is echoed as given');
  let proven = 0n;
  if (storageHash === EMPTY_TRIE_ROOT) assert.deepEqual(s.proof, [], 'an empty storage trie has no nodes to show');
  else {
    const v = await verifyMerkleProof(hexToBytes(slot), s.proof.map(hexToBytes), { root: hexToBytes(storageHash), useKeyHashing: true });
    if (v !== null) proven = big(RLP.decode(v) as Uint8Array);
  }
  assert.equal(hexBig(s.value), proven, `slot ${slot}`);
  return proven;
}

/** What the plain state reads say at the same block agrees with the proof. */
async function assertStateReadsMatch(client: CompatClient, p: ProofJson, block: string): Promise<void> {
  assert.equal(hexBig(await client.rpc<string>('eth_getBalance', [p.address, block])), hexBig(p.balance), 'eth_getBalance');
  assert.equal(hexBig(await client.rpc<string>('eth_getTransactionCount', [p.address, block])), hexBig(p.nonce), 'eth_getTransactionCount');
  assert.equal(keccak256(await client.rpc<string>('eth_getCode', [p.address, block])), p.codeHash, 'keccak(eth_getCode)');
  for (const s of p.storageProof) assert.equal(hexBig(await client.rpc<string>('eth_getStorageAt', [p.address, s.key, block])), hexBig(s.value), `eth_getStorageAt ${s.key}`);
}

/**
 * eth_getProof for a funded account, the token with a set and an unset slot, and an account that
 * does not exist, each verified against the block's stateRoot and against the state reads; the
 * client's own proof command (cast proof) must parse to the same.
 */
export async function proofVerified(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[7]!;
  const holder = addressOf(key);
  const token = await deployToken(env, client, key, 1000n);
  const n = BigInt(await client.rpc<string>('eth_blockNumber'));
  const block = hexQ(n);
  const { stateRoot } = await client.rpc<{ stateRoot: string }>('eth_getBlockByNumber', [block, false]);
  const slotSet = balanceSlot(holder);
  const slotUnset = zeroPadValue('0x1234', 32);
  const nobody = Wallet.createRandom().address;
  const asked: [string, string[]][] = [
    [holder, []],
    [token, [slotSet, slotUnset]],
    [nobody, [zeroPadValue('0x01', 32)]],
  ];
  const proofs: ProofJson[] = [];
  for (const [address, slots] of asked) {
    const p = await client.rpc<ProofJson>('eth_getProof', [address, slots, block]);
    assert.equal(p.address, address.toLowerCase());
    const exists = await verifyAccountProof(p, stateRoot);
    assert.equal(exists, address !== nobody, `${address} exists`);
    assert.equal(p.storageProof.length, slots.length);
    for (const [i, slot] of slots.entries()) await verifyStorageProof(p.storageProof[i]!, slot, p.storageHash);
    await assertStateReadsMatch(client, p, block);
    if (client.getProof) assert.deepEqual(await client.getProof(address, slots, n), p, `${client.name}'s proof command parses to eth_getProof's answer`);
    proofs.push(p);
  }
  const [eoa, tok, none] = proofs as [ProofJson, ProofJson, ProofJson];
  // And against what is known independently of the node's answers.
  assert.equal(hexBig(eoa.nonce), 1n, 'the deployment');
  assert.equal(eoa.storageHash, EMPTY_TRIE_ROOT);
  assert.equal(eoa.codeHash, EMPTY_CODE_HASH);
  assert.equal(hexBig(tok.nonce), 1n, 'EIP-161: a contract starts at nonce 1');
  assert.equal(tok.codeHash, keccak256(env.token.deployedBytecode));
  assert.deepEqual(
    tok.storageProof.map((s) => hexBig(s.value)),
    [1000n, 0n],
  );
  assert.equal(none.storageProof[0]!.value, '0x0');
}

interface CallFrame {
  type: string;
  from: string;
  to?: string;
  value?: string;
  gas: string;
  gasUsed: string;
  input: string;
  output?: string;
  error?: string;
  calls?: CallFrame[];
}
interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
}
interface StructTrace {
  gas: number;
  failed: boolean;
  returnValue: string;
  structLogs: StructLog[];
}

/** 21,000 plus 4 per zero and 16 per non-zero calldata byte (Berlin, no access list). */
function intrinsicGas(input: string): bigint {
  return [...hexToBytes(input)].reduce((s, b) => s + (b === 0 ? 4n : 16n), 21_000n);
}

/**
 * debug_traceTransaction of a token transfer with callTracer and with the struct logger: the frame
 * and the logs agree with the transaction and its receipt; the client's own replay (cast run) too.
 */
export async function traces(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[8]!;
  const from = addressOf(key);
  const token = await deployToken(env, client, key, 1000n);
  const iface = new Interface(env.token.abi as never);
  const hash = await client.sendTx(key, { to: token, data: iface.encodeFunctionData('transfer', [sink, 7n]) });
  await env.mine();
  const r = await receipt(client, hash);
  assert.equal(r.status, '0x1');
  const tx = await client.rpc<RpcTx>('eth_getTransactionByHash', [hash]);
  const gasUsed = hexBig(r.gasUsed);

  const frame = await client.rpc<CallFrame>('debug_traceTransaction', [hash, { tracer: 'callTracer' }]);
  assert.equal(frame.type, 'CALL');
  assert.equal(frame.from, from.toLowerCase());
  assert.equal(frame.to, token.toLowerCase());
  assert.equal(frame.input, tx.input);
  assert.equal(frame.output, word(1n), 'transfer returns true');
  assert.equal(hexBig(frame.gas), hexBig(tx.gas), 'the top frame has the transaction gas');
  assert.equal(hexBig(frame.gasUsed), gasUsed, 'and used what the receipt says');
  assert.equal(hexBig(frame.value ?? '0x0'), 0n);
  assert.equal(frame.error, undefined);
  assert.equal(frame.calls, undefined, 'the token calls nobody');

  const t = await client.rpc<StructTrace>('debug_traceTransaction', [hash]);
  assert.equal(t.failed, false);
  assert.equal(BigInt(t.gas), gasUsed);
  assert.equal(t.returnValue, word(1n));
  const first = t.structLogs[0]!;
  const last = t.structLogs.at(-1)!;
  assert.ok(['RETURN', 'STOP'].includes(last.op), `ends with ${last.op}`);
  assert.ok(
    t.structLogs.some((l) => l.op === 'LOG3'),
    'the Transfer event',
  );
  const intrinsic = intrinsicGas(tx.input);
  assert.equal(BigInt(first.gas), hexBig(tx.gas) - intrinsic, 'execution starts with the gas left after the intrinsic cost');
  // Nothing is cleared, so no refund: the receipt is the intrinsic cost plus what the steps spent.
  assert.equal(intrinsic + BigInt(first.gas) - BigInt(last.gas - last.gasCost), gasUsed);

  if (client.replayTx) {
    const out = await client.replayTx(hash);
    assert.match(out, /Transaction successfully executed/);
    assert.match(out, /\[Return\] true/);
    assert.equal(BigInt(/Gas used: (\d+)/.exec(out)?.[1] ?? -1), gasUsed, `${client.name}'s replay uses the receipt's gas:\n${out}`);
  }
}

/** The client's eth_call and eth_estimateGas on the token agree with ethers' and with the raw methods; reverts carry the reason. */
export async function callAndEstimate(env: CompatEnv, client: CompatClient): Promise<void> {
  const key = env.keys[9]!;
  const from = addressOf(key);
  const before = BigInt(await client.rpc<string>('eth_blockNumber'));
  const token = await deployToken(env, client, key, 1000n);
  const iface = new Interface(env.token.abi as never);
  const balanceOf: CallTx = { to: token, data: iface.encodeFunctionData('balanceOf', [from]) };
  const got = await client.call(balanceOf);
  assert.equal(got, word(1000n));
  assert.equal(got, await env.reference.call(balanceOf));
  assert.equal(got, await client.rpc('eth_call', [balanceOf, 'latest']));
  assert.equal(await client.call(balanceOf, before), '0x', 'before the deployment there is no code');

  const transfer = { from, to: token, data: iface.encodeFunctionData('transfer', [sink, 5n]) };
  const gas = await client.estimateGas(transfer);
  assert.ok(gas > intrinsicGas(transfer.data), `${gas}`);
  assert.equal(gas, await env.reference.estimateGas(transfer));
  assert.equal(gas, hexBig(await client.rpc<string>('eth_estimateGas', [transfer])));

  const tooMuch = { from, to: token, data: iface.encodeFunctionData('transfer', [sink, 1001n]) };
  await assert.rejects(client.call(tooMuch), /TestToken: insufficient balance/);
  await assert.rejects(client.estimateGas(tooMuch), /TestToken: insufficient balance/);
}

export const GENERIC_STEPS = { pendingNonceTwoInFlight, txpoolShapes, blockFilter, logFilter, pendingFilter, proofVerified, traces, callAndEstimate } as const;

/** ethers' JsonRpcProvider listeners run on filters: contract.on(event) on eth_newFilter, on('pending') on the pending filter. */
export async function ethersFilterListeners(env: CompatEnv): Promise<void> {
  const provider = new JsonRpcProvider(env.url, env.chainId, { pollingInterval: 50, cacheTimeout: -1, staticNetwork: true });
  try {
    const key = env.keys[5]!;
    const wallet = new Wallet(bytesToHex(key), provider);
    const client = ethersClient(provider);
    const tokenAddr = await deployToken(env, client, key, 77n);
    const token = new Contract(tokenAddr, env.token.abi as never, provider);
    const gotTransfer = new Promise<bigint>((resolve) => void token.on('Transfer', (_f: string, _t: string, v: bigint) => resolve(v)));
    const pending: string[] = [];
    const gotPending = new Promise<void>(
      (resolve) =>
        void provider.on('pending', (hash: string) => {
          pending.push(hash);
          resolve();
        }),
    );
    // ethers installs its filters on its first poll and polls again on each new block
    await waitFor(async () => (await provider.listenerCount()) >= 2);
    await sleep(300);
    const tx = await new Contract(tokenAddr, env.token.abi as never, wallet).getFunction('transfer')(sink, 4n);
    await env.mine();
    await env.mine();
    assert.equal(await withTimeout(gotTransfer, 10_000, 'Transfer via eth_newFilter'), 4n);
    await withTimeout(gotPending, 10_000, 'pending via eth_newPendingTransactionFilter');
    assert.ok(pending.includes(tx.hash), `pending ${pending} include ${tx.hash}`);
  } finally {
    // Stop the filter pollers first: a poll that fails on a destroyed provider re-arms itself on a
    // timer that keeps the test process alive after every test has passed.
    await provider.removeAllListeners();
    await sleep(300); // the filters' eth_uninstallFilter calls are sent after removal, not awaited by it
    provider.destroy();
  }
}

/** ethers' WebSocketProvider: newHeads, contract logs and newPendingTransactions subscriptions. */
export async function ethersSubscriptions(env: CompatEnv): Promise<void> {
  const ws = new WebSocketProvider(env.wsUrl, env.chainId);
  const provider = new JsonRpcProvider(env.url, env.chainId, { cacheTimeout: -1, staticNetwork: true });
  try {
    const key = env.keys[6]!;
    const client = ethersClient(provider);
    const tokenAddr = await deployToken(env, client, key, 50n);
    const blocks: number[] = [];
    const pending: string[] = [];
    const gotBlock = new Promise<void>(
      (resolve) =>
        void ws.on('block', (n: number) => {
          blocks.push(n);
          resolve();
        }),
    );
    const gotPending = new Promise<void>(
      (resolve) =>
        void ws.on('pending', (h: string) => {
          pending.push(h);
          resolve();
        }),
    );
    const gotTransfer = new Promise<bigint>((resolve) => void new Contract(tokenAddr, env.token.abi as never, ws).on('Transfer', (_f: string, _t: string, v: bigint) => resolve(v)));
    await sleep(300);
    const iface = new Interface(env.token.abi as never);
    const h = await client.sendTx(key, { to: tokenAddr, data: iface.encodeFunctionData('transfer', [sink, 8n]) });
    await withTimeout(gotPending, 10_000, 'newPendingTransactions');
    assert.ok(pending.includes(h));
    const m = await env.mine();
    await withTimeout(gotBlock, 10_000, 'newHeads');
    assert.equal(await withTimeout(gotTransfer, 10_000, 'logs'), 8n);
    await waitFor(async () => blocks.includes(Number(m.number)));
  } finally {
    await ws.removeAllListeners();
    await sleep(300); // likewise the eth_unsubscribe calls
    await ws.destroy();
    provider.destroy();
  }
}

export const ETHERS_STEPS = { ethersFilterListeners, ethersSubscriptions } as const;

export function ethersClient(provider: JsonRpcProvider): CompatClient {
  return {
    name: 'ethers',
    async sendTx(key, tx) {
      const wallet = new Wallet(bytesToHex(key), provider);
      const sent = await wallet.sendTransaction({ to: tx.to ?? null, value: tx.value ?? 0n, data: tx.data ?? '0x' });
      return sent.hash;
    },
    rpc: (method, params = []) => provider.send(method, params),
    call: (tx, block) => provider.call({ ...tx, blockTag: block }),
    estimateGas: (tx) => provider.estimateGas(tx),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(t));
}
