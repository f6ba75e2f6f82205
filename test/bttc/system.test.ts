/**
 * The system contracts on the real executor (src/evm): selectors against the vectors, span 0 from
 * genesis storage, commitSpan / commitState only from the system address, a state receiver that
 * survives failing targets, and the sprint-start planner deriving Bor's calls from chain state.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Interface } from 'ethers';
import { Executor } from '../../src/evm/executor.ts';
import type { HeaderFields, SystemCall } from '../../src/evm/interface.ts';
import { hashHeader } from '../../src/evm/block.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { vectors } from '../helpers/vectors.ts';
import { buildExtra } from '../../src/bttc/engine/extra.ts';
import {
  commitSpanCalldata,
  commitStateCalldata,
  decodeBorValidators,
  decodeCurrentSpan,
  decodeUint,
  GET_CURRENT_SPAN,
  getBorValidatorsCalldata,
  LAST_STATE_ID,
  stateReceiverInterface,
  validatorSetInterface,
} from '../../src/bttc/system/abi.ts';
import { systemContractsAlloc } from '../../src/bttc/system/genesis.ts';
import { SystemCallPlanner } from '../../src/bttc/system/planner.ts';
import { executorContractReader } from '../../src/bttc/system/reader.ts';
import type { SpanRecord, StateSyncRecord } from '../../src/bttc/system/types.ts';
import { makeSigners, MemHeaders } from './helpers.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const CHAIN_ID = 1337;
const SYSTEM = hexToBytes('0xfffffffffffffffffffffffffffffffffffffffe');
const VSET = hexToBytes('0x0000000000000000000000000000000000001000');
const RECEIVER = hexToBytes('0x0000000000000000000000000000000000001001');
const TARGET_OK = hexToBytes('0x00000000000000000000000000000000000a0001');
const TARGET_REVERT = hexToBytes('0x00000000000000000000000000000000000a0002');
const TARGET_BURN = hexToBytes('0x00000000000000000000000000000000000a0003');
const vals = makeSigners(4, 'span-vals');
const span0: SpanRecord = {
  id: 0,
  startBlock: 0,
  endBlock: 7,
  validators: vals.map((v, i) => ({ id: BigInt(i + 1), power: 1n, signer: v.address })),
  producers: vals.slice(0, 3).map((v, i) => ({ id: BigInt(i + 1), power: 1n, signer: v.address })),
};
const span1: SpanRecord = {
  id: 1,
  startBlock: 8,
  endBlock: 15,
  validators: span0.validators,
  producers: vals.slice(1).map((v, i) => ({ id: BigInt(i + 2), power: BigInt(i + 1), signer: v.address })),
};

const dir = makeTempDir('bttc-system');
let ex: Executor;
let gen: HeaderFields;
const target = getArtifact('TestStateReceiverTarget');
const targetIface = new Interface(target.abi as never);

function modeSlot(mode: number): [Uint8Array, Uint8Array][] {
  // TestStateReceiverTarget: lastId 0, lastData 1, count 2, mode 3
  const slot = new Uint8Array(32);
  slot[31] = 3;
  return mode ? [[slot, Uint8Array.of(mode)]] : [];
}

before(async () => {
  ex = await Executor.open({ chainId: CHAIN_ID, dataDir: dir.path });
  const code = { validatorSet: getArtifact('BttcValidatorSet').deployedBytecode, stateReceiver: getArtifact('BttcStateReceiver').deployedBytecode };
  gen = await ex.initGenesis({
    gasLimit: 20_000_000n,
    time: 1_000_000n,
    alloc: [
      ...systemContractsAlloc({ validatorSet: bytesToHex(VSET), stateReceiver: bytesToHex(RECEIVER) }, code, span0),
      [TARGET_OK, { code: hexToBytes(target.deployedBytecode) }],
      [TARGET_REVERT, { code: hexToBytes(target.deployedBytecode), storage: modeSlot(1) }],
      [TARGET_BURN, { code: hexToBytes(target.deployedBytecode), storage: modeSlot(2) }],
    ],
  });
});

after(async () => {
  await ex.close();
  dir.remove();
});

async function callAt(h: HeaderFields, to: Uint8Array, data: Uint8Array, from?: Uint8Array) {
  return ex.call(from ? { to, data, from } : { to, data }, { stateRoot: h.stateRoot, number: h.number, time: h.time, gasLimit: h.gasLimit });
}

async function buildWith(parent: HeaderFields, systemCalls: SystemCall[]) {
  return ex.buildBlock({
    parent: { hash: hashHeader(parent), number: parent.number, stateRoot: parent.stateRoot },
    header: { number: parent.number + 1n, time: parent.time + 2n, gasLimit: parent.gasLimit, difficulty: 1n, extra: buildExtra(new Uint8Array(32), null) },
    author: vals[0]!.address,
    systemCalls,
    txs: [],
    senders: [],
    budgetMs: 1000,
  });
}

test('selectors of the compiled system contracts match the vectors', () => {
  const compiled = {
    ...Object.fromEntries(
      new Interface(getArtifact('BttcValidatorSet').abi as never).fragments
        .filter((f) => f.type === 'function')
        .map((f) => [(f as unknown as { format(): string }).format(), (f as unknown as { selector: string }).selector]),
    ),
    ...Object.fromEntries(
      new Interface(getArtifact('BttcStateReceiver').abi as never).fragments
        .filter((f) => f.type === 'function')
        .map((f) => [(f as unknown as { format(): string }).format(), (f as unknown as { selector: string }).selector]),
    ),
  };
  for (const sig of ['commitSpan(uint256,uint256,uint256,bytes,bytes)', 'commitState(uint256,bytes)', 'getBorValidators(uint256)', 'lastStateId()', 'getCurrentSpan()']) {
    assert.equal(compiled[sig], vectors.selectors[sig], sig);
  }
  assert.equal(validatorSetInterface.getFunction('commitSpan')!.selector, vectors.selectors['commitSpan(uint256,uint256,uint256,bytes,bytes)']);
  assert.equal(stateReceiverInterface.getFunction('commitState')!.selector, vectors.selectors['commitState(uint256,bytes)']);
});

test('genesis storage holds span 0: getCurrentSpan and getBorValidators read it', async () => {
  const cur = decodeCurrentSpan((await callAt(gen, VSET, GET_CURRENT_SPAN)).returnValue);
  assert.deepEqual(cur, { id: 0n, startBlock: 0n, endBlock: 7n });
  const producers = decodeBorValidators((await callAt(gen, VSET, getBorValidatorsCalldata(3n))).returnValue);
  assert.deepEqual(
    producers.map((p) => bytesToHex(p.address)),
    span0.producers.map((p) => bytesToHex(p.signer)),
  );
  assert.equal(decodeUint((await callAt(gen, RECEIVER, LAST_STATE_ID)).returnValue), 0n);
});

test('commitSpan and commitState only from the system address', async () => {
  const other = vals[0]!.address;
  const r1 = await callAt(gen, VSET, commitSpanCalldata(span1), other);
  assert.equal(r1.success, false);
  const r2 = await callAt(gen, RECEIVER, commitStateCalldata(record(1n, TARGET_OK)), other);
  assert.equal(r2.success, false);
  const r3 = await callAt(gen, VSET, commitSpanCalldata(span1), SYSTEM);
  assert.equal(r3.success, true, 'the same call from the system address succeeds');
});

function record(id: bigint, contract: Uint8Array, data = Uint8Array.of(1, 2, 3), time = 500n): StateSyncRecord {
  return { id, time, contract, data, txHash: new Uint8Array(32).fill(Number(id)), logIndex: id, chainId: String(CHAIN_ID) };
}

test('system calls in a block: commitSpan stores span 1; commitState survives reverting and gas-burning receivers', async () => {
  const calls: SystemCall[] = [
    { from: SYSTEM, to: VSET, data: commitSpanCalldata(span1) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(1n, TARGET_OK, Uint8Array.of(0xaa, 0xbb))) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(2n, TARGET_REVERT)) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(3n, TARGET_BURN)) },
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(4n, vals[1]!.address)) }, // not a contract
    { from: SYSTEM, to: RECEIVER, data: commitStateCalldata(record(6n, TARGET_OK)) }, // skips 5: refused
  ];
  const b = await buildWith(gen, calls);
  assert.deepEqual(
    b.systemResults.map((r) => r.success),
    [true, true, true, true, true, false],
  );
  const committed = b.systemResults.slice(1, 5).map((r) => {
    const log = r.logs.find((l) => bytesToHex(l.address) === bytesToHex(RECEIVER))!;
    const ev = stateReceiverInterface.parseLog({ topics: log.topics.map(bytesToHex), data: bytesToHex(log.data) })!;
    return [ev.args[0] as bigint, ev.args[1] as boolean];
  });
  assert.deepEqual(committed, [
    [1n, true],
    [2n, false],
    [3n, false],
    [4n, false],
  ]);
  const h = b.header;
  assert.deepEqual(decodeCurrentSpan((await callAt(h, VSET, GET_CURRENT_SPAN)).returnValue), { id: 1n, startBlock: 8n, endBlock: 15n });
  const p = decodeBorValidators((await callAt(h, VSET, getBorValidatorsCalldata(9n))).returnValue);
  assert.deepEqual(
    p.map((x) => [bytesToHex(x.address), x.power]),
    span1.producers.map((x) => [bytesToHex(x.signer), x.power]),
  );
  const p0 = decodeBorValidators((await callAt(h, VSET, getBorValidatorsCalldata(7n))).returnValue);
  assert.equal(p0.length, 3, 'block 7 still reads span 0');
  assert.equal(decodeUint((await callAt(h, RECEIVER, LAST_STATE_ID)).returnValue), 4n);
  const got = await callAt(h, TARGET_OK, hexToBytes(targetIface.encodeFunctionData('lastData', [])));
  assert.equal(targetIface.decodeFunctionResult('lastData', got.returnValue)[0], '0xaabb');
  // A second commitSpan for the same id is refused.
  const again = await buildWith(h, [{ from: SYSTEM, to: VSET, data: commitSpanCalldata(span1) }]);
  assert.equal(again.systemResults[0]!.success, false);
});

test("planner: commitSpan at the first block of the span's last sprint, state syncs by id and time", async () => {
  const headers = new MemHeaders();
  const spans = new Map([
    [1, span1],
    [2, { ...span1, id: 2, startBlock: 16, endBlock: 23 }],
  ]);
  const syncs: StateSyncRecord[] = [
    record(1n, TARGET_OK, Uint8Array.of(1), 1_000_001n),
    record(2n, TARGET_OK, Uint8Array.of(2), 1_000_001n),
    record(3n, TARGET_OK, Uint8Array.of(3), 1_000_009n),
    { ...record(4n, TARGET_OK), chainId: '1' },
  ];
  const planner = new SystemCallPlanner(
    { sprint: 4, chainId: CHAIN_ID, systemAddress: bytesToHex(SYSTEM), validatorSetContract: bytesToHex(VSET), stateReceiverContract: bytesToHex(RECEIVER) },
    { reader: executorContractReader(ex), headers, spans: { spanById: (id) => spans.get(id) }, stateSyncs: { recordsFrom: async (from, to) => syncs.filter((r) => r.id >= from && r.time < to) } },
  );
  headers.add(gen);
  let parent = gen;
  const plans: Record<number, { span: number | null; stateIds: bigint[] }> = {};
  for (let n = 1n; n <= 12n; n++) {
    const plan = await planner.plan(n, parent);
    plans[Number(n)] = { span: plan.span, stateIds: plan.stateIds };
    const b = await buildWith(parent, plan.calls);
    assert.ok(
      b.systemResults.every((r) => r.success),
      `block ${n} system calls succeed`,
    );
    headers.add(b.header);
    parent = b.header;
  }
  // Sprint starts 4, 8, 12. Span 0 ends at 7: its last sprint starts at 4.
  assert.deepEqual(plans[4], { span: 1, stateIds: [] }, 'records at 1,000,001 are not before time(block 0) = 1,000,000');
  // Block 8: to = time(block 4) = 1,000,008 → ids 1 and 2; id 3 (1,000,009) waits.
  assert.deepEqual(plans[8], { span: null, stateIds: [1n, 2n] });
  // Block 12: to = time(block 8) = 1,000,016 → id 3; id 4 has another chain id and stops the run.
  assert.deepEqual(plans[12], { span: 2, stateIds: [3n] }, 'span 1 ends at 15: span 2 is committed at 12');
  for (const n of [1, 2, 3, 5, 6, 7, 9, 10, 11]) assert.deepEqual(plans[n], { span: null, stateIds: [] });
  assert.equal(decodeUint((await callAt(parent, RECEIVER, LAST_STATE_ID)).returnValue), 3n);
  // Without span 1 in Delivery the sprint cannot be finalised.
  spans.clear();
  await assert.rejects(planner.plan(4n, headersAt(headers, 3n)), /span 1 must be committed/);
});

function headersAt(headers: MemHeaders, n: bigint) {
  for (const h of headers.byHash.values()) if (h.number === n) return h;
  throw new Error(`no header ${n}`);
}
