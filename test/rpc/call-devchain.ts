/**
 * The dev chain (devchain.ts) with call workers behind eth_getProof, eth_createAccessList and the
 * debug tracers, a TestToken and a Probe contract in genesis, and helpers to send transactions and
 * build multi-transaction blocks. Shared by test/rpc/proofs.test.ts and test/rpc/debug.test.ts.
 */
import { Interface } from 'ethers';
import { CallService } from '../../src/evm/call/service.ts';
import type { GenesisSpec } from '../../src/evm/interface.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { keccak256 } from '../../src/evm/crypto.ts';
import { registerDebug } from '../../src/rpc/debug.ts';
import { registerStateProofs } from '../../src/rpc/state-proofs.ts';
import { bytesToHex, concatBytes, hexToBytes, uintToBytes } from '../../src/util/bytes.ts';
import { compileFixture } from '../evm/fixtures/compile.ts';
import { testAccounts, type TestAccount } from '../evm/helpers.ts';
import { startDevChain, type DevChain } from './devchain.ts';

export const CHAIN_ID = 1029;
export const TOKEN = hexToBytes('0x7070707070707070707070707070707070707070');
export const PROBE = hexToBytes('0x9090909090909090909090909090909090909090');
export const LOOP = hexToBytes('0x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b');
export const SUPPLY = 1_000_000n;
export const token = compileFixture();
export const probe = compileFixture('Probe.sol', 'Probe');
export const tokenIface = new Interface(token.abi as never);
export const probeIface = new Interface(probe.abi as never);

/** TestToken's balanceOf mapping is slot 1. */
export function balanceSlot(holder: Uint8Array): Uint8Array {
  return keccak256(concatBytes(uintToBytes(BigInt(bytesToHex(holder)), 32), uintToBytes(1n, 32)));
}

export interface CallChain {
  dev: DevChain;
  calls: CallService;
  accounts: TestAccount[];
  rpc(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }>;
  /** Sends a signed legacy tx (one block per tx); returns its hash. */
  send(from: TestAccount, tx: { to?: Uint8Array; data?: Uint8Array; value?: bigint; gasLimit?: bigint }): Promise<string>;
  /** Builds and stores one block with these transactions on the head. */
  block(txs: { from: TestAccount; to?: Uint8Array; data?: Uint8Array; value?: bigint; gasLimit?: bigint }[]): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function startCallChain(opts: { evmTimeoutMs?: number } = {}): Promise<CallChain> {
  const accounts = testAccounts(4, 23);
  const spec: GenesisSpec = {
    gasLimit: 30_000_000n,
    time: 1_700_000_000n,
    alloc: [
      ...accounts.map((a) => [a.address, { balance: 10n ** 22n }] as [Uint8Array, { balance: bigint }]),
      [
        TOKEN,
        {
          code: hexToBytes(token.deployedBytecode),
          storage: [
            [uintToBytes(0n, 32), uintToBytes(SUPPLY, 32)],
            [balanceSlot(accounts[0]!.address), uintToBytes(SUPPLY, 32)],
          ],
        },
      ],
      [PROBE, { code: hexToBytes(probe.deployedBytecode) }],
      [LOOP, { code: hexToBytes('0x5b600056') }],
    ],
  };
  const dev = await startDevChain(CHAIN_ID, spec);
  const calls = await CallService.start({ chainId: CHAIN_ID, evmTimeoutMs: opts.evmTimeoutMs ?? 5000 }, { host: dev.executor });
  const finalizedNumber = () => 0n;
  registerStateProofs(dev.registry, { chain: dev.chain, calls, finalizedNumber });
  registerDebug(dev.registry, { chain: dev.chain, calls, finalizedNumber });
  const nonces = new Map<TestAccount, number>();
  const sign = (from: TestAccount, tx: { to?: Uint8Array; data?: Uint8Array; value?: bigint; gasLimit?: bigint }) => {
    const nonce = nonces.get(from) ?? 0;
    nonces.set(from, nonce + 1);
    return signLegacyTx({ nonce, gasPrice: 1_000_000_000n, gasLimit: tx.gasLimit ?? 500_000n, to: tx.to, value: tx.value ?? 0n, data: tx.data }, CHAIN_ID, from.key);
  };
  const rpc: CallChain['rpc'] = async (method, params) => {
    const res = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
  };
  return {
    dev,
    calls,
    accounts,
    rpc,
    async send(from, tx) {
      const r = await rpc('eth_sendRawTransaction', [bytesToHex(sign(from, tx))]);
      if (r.error) throw new Error(r.error.message);
      return r.result as string;
    },
    async block(list) {
      const head = dev.chain.head();
      const raws = list.map((t) => sign(t.from, t));
      const coinbase = new Uint8Array(20).fill(0xcb);
      const res = await dev.executor.buildBlock({
        parent: { hash: head.hash, number: head.number, stateRoot: head.header.stateRoot },
        header: { number: head.number + 1n, time: head.header.time + 2n, gasLimit: head.header.gasLimit, difficulty: 1n, coinbase },
        author: coinbase,
        ancestorHashes: await dev.chain.getAncestorHashes(head.hash, 256),
        txs: raws,
        senders: list.map((t) => t.from.address),
        budgetMs: 10_000,
      });
      if (res.included.length !== raws.length) throw new Error(`block: ${res.rejected.map((r) => r.reason).join('; ')}`);
      const { hash } = await dev.chain.putBlock({ header: res.header, txs: raws, senders: list.map((t) => t.from.address), receipts: res.receipts }, { setHead: true });
      return hash;
    },
    async close() {
      await calls.close();
      await dev.close();
    },
  };
}
