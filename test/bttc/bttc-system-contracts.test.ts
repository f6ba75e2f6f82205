/**
 * Our system calls against BTTC's own system contracts, the code in config/genesis/mainnet-bttc.json
 * (BorValidatorSet at 0x…1000, StateReceiver at 0x…1001), not our Solidity versions: the genesis
 * validators read back (hard-coded in BTTC's contract, no span stored until the first commitSpan),
 * commitSpan and commitState from the system address only, lastStateId advancing, the receiver
 * calling its target, and the planner deriving Bor's calls over the first three sprints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { AbiCoder, Interface } from 'ethers';
import { Executor } from '../../src/evm/executor.ts';
import { hashHeader } from '../../src/evm/block.ts';
import type { HeaderFields, SystemCall } from '../../src/evm/interface.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { gethGenesisSpec } from '../../src/bttc/genesis/bttc-genesis.ts';
import { parseGethGenesis } from '../../src/bttc/genesis/geth-genesis.ts';
import { commitSpanCalldata, commitStateCalldata, decodeBorValidators, decodeCurrentSpan, decodeUint, GET_CURRENT_SPAN, getBorValidatorsCalldata, LAST_STATE_ID } from '../../src/bttc/system/abi.ts';
import { SystemCallPlanner } from '../../src/bttc/system/planner.ts';
import { executorContractReader } from '../../src/bttc/system/reader.ts';
import type { SpanRecord, StateSyncRecord } from '../../src/bttc/system/types.ts';
import { parseDeliveryGenesis } from '../../src/node/delivery-genesis.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { makeSigners, MemHeaders } from './helpers.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (name: string) => JSON.parse(readFileSync(join(ROOT, 'config/genesis', name), 'utf8')) as unknown;
const g = parseGethGenesis(read('mainnet-bttc.json'), 'mainnet-bttc.json');
const delivery = parseDeliveryGenesis(read('mainnet-delivery.json'), 'mainnet-delivery.json');
const SYSTEM = hexToBytes('0xfffffffffffffffffffffffffffffffffffffffe');
const VSET = hexToBytes(g.bor!.validatorContract);
const RECEIVER = hexToBytes(g.bor!.stateReceiverContract);
const TARGET = hexToBytes('0x00000000000000000000000000000000000a0001');
const TARGET_REVERT = hexToBytes('0x00000000000000000000000000000000000a0002');
const target = getArtifact('TestStateReceiverTarget');
const targetIface = new Interface(target.abi as never);
const newVals = makeSigners(3, 'bttc-span1');
const span1: SpanRecord = {
  id: 1,
  startBlock: 256,
  endBlock: 6655,
  validators: newVals.map((v, i) => ({ id: BigInt(i + 8), power: 1n, signer: v.address })),
  producers: newVals.slice(0, 2).map((v, i) => ({ id: BigInt(i + 8), power: BigInt(i + 1), signer: v.address })),
};

const dir = makeTempDir('bttc-genesis-contracts');
let ex: Executor;
let gen: HeaderFields;

before(async () => {
  ex = await Executor.open({ chainId: g.chainId, dataDir: dir.path });
  const spec = gethGenesisSpec(g);
  const mode1: [Uint8Array, Uint8Array] = [hexToBytes(`0x${'3'.padStart(64, '0')}`), Uint8Array.of(1)];
  spec.alloc.push([TARGET, { code: hexToBytes(target.deployedBytecode) }], [TARGET_REVERT, { code: hexToBytes(target.deployedBytecode), storage: [mode1] }]);
  gen = await ex.initGenesis(spec);
});

after(async () => {
  await ex.close();
  dir.remove();
});

function record(id: bigint, contract: Uint8Array, time: bigint, data = Uint8Array.of(Number(id), 0xee)): StateSyncRecord {
  return { id, time, contract, data, txHash: new Uint8Array(32).fill(Number(id)), logIndex: id, chainId: String(g.chainId) };
}

async function callAt(h: HeaderFields, to: Uint8Array, data: Uint8Array, opts: { from?: Uint8Array; number?: bigint } = {}) {
  return ex.call(opts.from ? { to, data, from: opts.from } : { to, data }, { stateRoot: h.stateRoot, number: opts.number ?? h.number, time: h.time, gasLimit: h.gasLimit });
}

async function buildWith(parent: HeaderFields, systemCalls: SystemCall[]) {
  return ex.buildBlock({
    parent: { hash: hashHeader(parent), number: parent.number, stateRoot: parent.stateRoot },
    header: { number: parent.number + 1n, time: parent.time + 2n, gasLimit: parent.gasLimit, difficulty: 7n },
    author: newVals[0]!.address,
    systemCalls,
    txs: [],
    senders: [],
    budgetMs: 1000,
  });
}

const decodeBool = (ret: Uint8Array) => (AbiCoder.defaultAbiCoder().decode(['bool'], ret) as unknown as [boolean])[0];

test("BTTC's genesis validator set: the Delivery genesis validators read back, no span stored yet, no state synced", async () => {
  for (const n of [0n, 1n, 255n]) {
    const r = await callAt(gen, VSET, getBorValidatorsCalldata(n));
    assert.ok(r.success, `getBorValidators(${n})`);
    assert.deepEqual(
      decodeBorValidators(r.returnValue).map((v) => [bytesToHex(v.address), v.power]),
      delivery.validators.map((v) => [v.signer, BigInt(v.votingPower)]),
      `block ${n}: the validators hard-coded in BTTC's contract are the Delivery genesis's, in id order, power 1`,
    );
  }
  // Bor reads getCurrentSpan at the parent: BTTC's contract has no span until the first commitSpan.
  assert.deepEqual(decodeCurrentSpan((await callAt(gen, VSET, GET_CURRENT_SPAN, { number: 63n })).returnValue), { id: 0n, startBlock: 0n, endBlock: 0n });
  assert.equal(decodeUint((await callAt(gen, RECEIVER, LAST_STATE_ID)).returnValue), 0n);
});

test("commitSpan and commitState on BTTC's contracts: only from the system address; span 1 stored, records delivered, lastStateId advancing", async () => {
  const other = newVals[1]!.address;
  assert.equal((await callAt(gen, VSET, commitSpanCalldata(span1), { from: other })).success, false);
  assert.equal((await callAt(gen, RECEIVER, commitStateCalldata(record(1n, TARGET, 1n)), { from: other })).success, false);

  const b = await buildWith(gen, [
    { from: SYSTEM, to: VSET, data: commitSpanCalldata(span1) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(1n, TARGET, 1n, Uint8Array.of(0xaa, 0xbb))) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(2n, TARGET_REVERT, 1n)) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(3n, other, 1n)) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(5n, TARGET, 1n)) },
  ]);
  assert.deepEqual(
    b.systemResults.map((r) => r.success),
    [true, true, true, true, false],
    'id 5 after 3 is refused ("StateIds are not sequential")',
  );
  // BTTC's StateReceiver returns whether the target took the record (it emits no event).
  assert.deepEqual(
    b.systemResults.slice(1, 4).map((r) => decodeBool(r.returnValue)),
    [true, false, false],
    'delivered; target reverted; not a contract',
  );
  const h = b.header;
  assert.equal(decodeUint((await callAt(h, RECEIVER, LAST_STATE_ID)).returnValue), 3n);
  const lastData = await callAt(h, TARGET, hexToBytes(targetIface.encodeFunctionData('lastData', [])));
  assert.equal(targetIface.decodeFunctionResult('lastData', lastData.returnValue)[0], '0xaabb');
  const count = await callAt(h, TARGET, hexToBytes(targetIface.encodeFunctionData('count', [])));
  assert.equal(targetIface.decodeFunctionResult('count', count.returnValue)[0], 1n);

  // The first commitSpan also stored span 0 (BTTC's setInitialValidators): block 100 is in span 0, 300 in span 1.
  assert.deepEqual(decodeCurrentSpan((await callAt(h, VSET, GET_CURRENT_SPAN, { number: 100n })).returnValue), { id: 0n, startBlock: 0n, endBlock: 255n });
  assert.deepEqual(decodeCurrentSpan((await callAt(h, VSET, GET_CURRENT_SPAN, { number: 300n })).returnValue), { id: 1n, startBlock: 256n, endBlock: 6655n });
  const p = decodeBorValidators((await callAt(h, VSET, getBorValidatorsCalldata(300n))).returnValue);
  assert.deepEqual(
    p.map((x) => [bytesToHex(x.address), x.power]),
    span1.producers.map((x) => [bytesToHex(x.signer), x.power]),
  );
  assert.equal(decodeBorValidators((await callAt(h, VSET, getBorValidatorsCalldata(200n))).returnValue).length, 7, 'block 200 still reads the genesis validators');
  const again = await buildWith(h, [{ from: SYSTEM, to: VSET, data: commitSpanCalldata(span1) }]);
  assert.equal(again.systemResults[0]!.success, false, 'span 1 twice: "Span already exists"');
});

test("planner on BTTC's contracts: span 1 at the first sprint start (no span stored), Bor's harmless second try at 192, state syncs by time, an override limiting one block", async () => {
  const headers = new MemHeaders();
  const t0 = gen.time;
  // Blocks are 2 s apart: time(block 64) = t0 + 128, time(block 128) = t0 + 256.
  const syncs = [record(1n, TARGET, t0 - 1n), record(2n, TARGET, t0 - 1n), record(3n, TARGET, t0 + 200n)];
  const planner = new SystemCallPlanner(
    {
      sprint: 64,
      chainId: Number(g.chainId),
      systemAddress: bytesToHex(SYSTEM),
      validatorSetContract: bytesToHex(VSET),
      stateReceiverContract: bytesToHex(RECEIVER),
      overrideStateSyncRecords: new Map([[64n, 1]]),
    },
    {
      reader: executorContractReader(ex),
      headers,
      spans: { spanById: (id) => (id === 1 ? span1 : undefined) },
      stateSyncs: { recordsFrom: async (from, to) => syncs.filter((r) => r.id >= from && r.time < to) },
    },
  );
  headers.add(gen);
  let parent = gen;
  const plans = new Map<bigint, { span: number | null; stateIds: bigint[]; ok: boolean[] }>();
  for (let n = 1n; n <= 192n; n++) {
    const plan = await planner.plan(n, parent);
    const b = await buildWith(parent, plan.calls);
    if (plan.calls.length) plans.set(n, { span: plan.span, stateIds: plan.stateIds, ok: b.systemResults.map((r) => r.success) });
    headers.add(b.header);
    parent = b.header;
  }
  assert.deepEqual([...plans.keys()], [64n, 128n, 192n], 'calls only at sprint starts');
  assert.deepEqual(plans.get(64n), { span: 1, stateIds: [1n], ok: [true, true] }, 'span 1 with getCurrentSpan = (0, 0, 0); the override lets 1 of 2 due records in');
  assert.deepEqual(plans.get(128n), { span: null, stateIds: [2n], ok: [true] }, 'record 3 is not before time(block 64)');
  // At 192 the stored span 0 ends within the sprint: Bor commits span 1 again and the contract refuses it.
  assert.deepEqual(plans.get(192n), { span: 1, stateIds: [3n], ok: [false, true] });
  assert.deepEqual(decodeCurrentSpan((await callAt(parent, VSET, GET_CURRENT_SPAN, { number: 300n })).returnValue), { id: 1n, startBlock: 256n, endBlock: 6655n });
  assert.equal(decodeUint((await callAt(parent, RECEIVER, LAST_STATE_ID)).returnValue), 3n);
});
