/**
 * The executor's end-of-block code replacement (Bor's `changeContractCodeIfNeeded` for the genesis's
 * blockAlloc), through the worker boundary and in-process alike: only code changes, a missing account
 * is created, an account left empty is deleted (geth's EIP-158 Finalise), and a block built with the
 * change imports only with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExecutor } from '../../src/evm/index.ts';
import { BlockValidationError, type CodeChange, type GenesisSpec, type HeaderFields } from '../../src/evm/interface.ts';
import { encodeHeader, hashHeader } from '../../src/evm/block.ts';
import * as codec from '../../src/evm/codec.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { testAccounts } from './helpers.ts';
import { tempDir } from '../helpers/tmp.ts';

const author = testAccounts(1, 97)[0]!.address;
const KEPT = hexToBytes('0x00000000000000000000000000000000000a0001'); // code, balance, storage: code replaced
const NEW = hexToBytes('0x00000000000000000000000000000000000a0002'); // no account: created with code
const EMPTIED = hexToBytes('0x00000000000000000000000000000000000a0003'); // code only: emptied → deleted
const FUNDED = hexToBytes('0x00000000000000000000000000000000000a0004'); // code and balance: code removed, account kept
const word = (n: number) => hexToBytes(`0x${n.toString(16).padStart(64, '0')}`);
const spec: GenesisSpec = {
  gasLimit: 20_000_000n,
  time: 10n,
  alloc: [
    [KEPT, { balance: 3n, nonce: 1n, code: Uint8Array.of(0x60, 0x00), storage: [[word(1), Uint8Array.of(5)]] }],
    [EMPTIED, { code: Uint8Array.of(0x00) }],
    [FUNDED, { balance: 9n, code: Uint8Array.of(0x00) }],
  ],
};
const changes: CodeChange[] = [
  { address: KEPT, code: hexToBytes('0x600160005260206000f3') },
  { address: NEW, code: Uint8Array.of(0x5b, 0x00) },
  { address: EMPTIED, code: new Uint8Array(0) },
  { address: FUNDED, code: new Uint8Array(0) },
];
const parentOf = (h: HeaderFields) => ({ hash: hashHeader(h), number: h.number, stateRoot: h.stateRoot });

test('code changes at the end of a block: built in the worker, the same block in-process, refused without them', async (t) => {
  const worker = await createExecutor({ mode: 'worker', chainId: 1337, dataDir: tempDir(t, 'cc-worker') });
  const inline = await createExecutor({ mode: 'inline', chainId: 1337, dataDir: tempDir(t, 'cc-inline') });
  try {
    const g = await worker.initGenesis(spec);
    assert.equal(bytesToHex(encodeHeader(await inline.initGenesis(spec))), bytesToHex(encodeHeader(g)));
    const req = { parent: parentOf(g), header: { number: 1n, time: 12n, gasLimit: 20_000_000n }, author, txs: [], senders: [], budgetMs: 1000 };
    const plain = await inline.buildBlock(req);
    const built = await worker.buildBlock({ ...req, codeChanges: changes });
    assert.notEqual(bytesToHex(built.header.stateRoot), bytesToHex(plain.header.stateRoot));
    const root = built.header.stateRoot;
    assert.equal(bytesToHex(await worker.getCode(root, KEPT)), '0x600160005260206000f3');
    const kept = await worker.getAccount(root, KEPT);
    assert.deepEqual([kept?.balance, kept?.nonce], [3n, 1n], 'balance and nonce stay');
    assert.equal(BigInt(bytesToHex(await worker.getStorage(root, KEPT, word(1)))), 5n, 'storage stays');
    assert.equal(bytesToHex(await worker.getCode(root, NEW)), '0x5b00');
    assert.equal(await worker.getAccount(root, EMPTIED), undefined, 'an account left empty is deleted');
    assert.equal((await worker.getAccount(root, FUNDED))?.balance, 9n);
    assert.equal((await worker.getCode(root, FUNDED)).length, 0);

    await assert.rejects(
      inline.executeBlock({ parent: parentOf(g), header: built.header, txs: [], senders: [], author }),
      (e: unknown) => e instanceof BlockValidationError && e.field === 'stateRoot',
    );
    await inline.executeBlock({ parent: parentOf(g), header: built.header, txs: [], senders: [], author, codeChanges: changes });
    assert.equal(await inline.hasState(root), true);
  } finally {
    await worker.close();
    await inline.close();
  }
});

test('codec: code changes cross the worker boundary in build and execute requests', () => {
  const base = {
    parent: { hash: new Uint8Array(32).fill(1), number: 1n, stateRoot: new Uint8Array(32).fill(2) },
    author: new Uint8Array(20).fill(3),
    ancestorHashes: [],
    systemCalls: [],
    txs: [],
    senders: [],
  };
  const build = { ...base, header: { number: 2n, time: 3n, gasLimit: 4n }, codeChanges: changes, budgetMs: 5 };
  assert.deepEqual(codec.decodeBuildRequest(codec.encodeBuildRequest(build)).codeChanges, changes);
  const header = {
    ...spec,
    parentHash: new Uint8Array(32),
    uncleHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32),
    txRoot: new Uint8Array(32),
    receiptRoot: new Uint8Array(32),
    bloom: new Uint8Array(256),
    difficulty: 1n,
    number: 2n,
    gasLimit: 4n,
    gasUsed: 0n,
    time: 3n,
    extra: new Uint8Array(0),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
  };
  assert.deepEqual(codec.decodeExecuteRequest(codec.encodeExecuteRequest({ ...base, header, codeChanges: changes })).codeChanges, changes);
  assert.equal('codeChanges' in codec.decodeExecuteRequest(codec.encodeExecuteRequest({ ...base, header })), false, 'none: the field stays absent');
});
