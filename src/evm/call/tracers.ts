/**
 * geth's two everyday tracers over EthereumJS's EVM events, with geth's JSON shapes:
 * - the struct logger (debug_trace* without `tracer`): `{gas, failed, returnValue, structLogs}`, one
 *   entry per executed opcode, options `disableStack`, `disableStorage`, `enableMemory`, `limit`;
 * - `callTracer`: the tree of call frames `{type, from, to, value, gas, gasUsed, input, output,
 *   error, revertReason, calls}`, option `onlyTopCall`.
 * A tracer is attached to a VM for one transaction (`attach` returns the detach function) and its
 * result is read after runTx with the transaction's outcome.
 *
 * EthereumJS numbers call depth from 0, geth from 1. The call type comes from the frame opcode the
 * deadline wrapper saw last (deadline.ts), so CALL inside a static frame is not mistaken for STATICCALL.
 */
import type { EVM, EVMResult, InterpreterStep, Message } from '@ethereumjs/evm';
import type { VM } from '@ethereumjs/vm';
import { bytesToHex } from '../../util/bytes.ts';

export interface StructLoggerOptions {
  disableStack?: boolean;
  disableStorage?: boolean;
  enableMemory?: boolean;
  /** Most entries to keep (0 = all, up to MAX_STRUCT_LOGS). geth ≥ 1.14 counts output bytes; older geth, like this, entries. */
  limit?: number;
}

export interface CallTracerOptions {
  onlyTopCall?: boolean;
}

/** What the caller knows about the transaction being traced. */
export interface TracedTx {
  from: Uint8Array;
  /** Undefined for a contract creation. */
  to?: Uint8Array;
  value: bigint;
  gasLimit: bigint;
  data: Uint8Array;
}

/** The transaction's outcome, as runTx reports it. */
export interface TxOutcome {
  gasUsed: bigint;
  returnValue: Uint8Array;
  /** EthereumJS's error string ('revert', 'out of gas', …), undefined on success. */
  error?: string;
  createdAddress?: Uint8Array;
}

export interface Tracer {
  attach(vm: VM, frameOp: () => number): () => void;
  result(tx: TracedTx, outcome: TxOutcome): unknown;
}

/**
 * More entries than this are not held (each is a few hundred bytes with its stack, and the whole
 * trace is copied to the main thread): such a trace fails and asks for a `limit`.
 */
export const MAX_STRUCT_LOGS = 500_000;

const OP_NAMES: Record<number, string> = { 240: 'CREATE', 241: 'CALL', 242: 'CALLCODE', 244: 'DELEGATECALL', 245: 'CREATE2', 250: 'STATICCALL' };

/** EthereumJS error strings → geth's (what clients match on). */
const GETH_ERRORS: Record<string, string> = {
  revert: 'execution reverted',
  'out of gas': 'out of gas',
  'code store out of gas': 'contract creation code storage out of gas',
  'code size to deposit exceeds maximum code size': 'max code size exceeded',
  'invalid JUMP': 'invalid jump destination',
  'static state change': 'write protection',
  'create collision': 'contract address collision',
  'insufficient balance': 'insufficient balance for transfer',
  'invalid bytecode deployed': 'invalid code: must not begin with 0xef',
  'value out of range': 'return data out of bounds',
  'initcode exceeds max initcode size': 'max initcode size exceeded',
  'stack overflow': 'stack limit reached 1024',
};

export function gethError(ejs: string): string {
  return GETH_ERRORS[ejs] ?? ejs;
}

const PANIC_REASONS: Record<number, string> = {
  0: 'generic panic',
  1: 'assert(false)',
  17: 'arithmetic underflow or overflow',
  18: 'division or modulo by zero',
  33: 'enum overflow',
  34: 'invalid encoded storage byte array accessed',
  49: 'out-of-bounds array access; popping on an empty array',
  50: 'out-of-bounds access of an array or bytesN',
  65: 'out of memory',
  81: 'uninitialized function',
};

/** geth's abi.UnpackRevert: the reason of Error(string) or Panic(uint256) revert data, else undefined. */
export function unpackRevert(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined;
  const sel = bytesToHex(data.subarray(0, 4));
  const word = (i: number): bigint | undefined => (data.length >= 4 + 32 * (i + 1) ? BigInt(bytesToHex(data.subarray(4 + 32 * i, 4 + 32 * (i + 1)))) : undefined);
  if (sel === '0x08c379a0') {
    const off = word(0);
    if (off === undefined || off > BigInt(data.length)) return undefined;
    const lenAt = 4 + Number(off);
    if (data.length < lenAt + 32) return undefined;
    const len = Number(BigInt(bytesToHex(data.subarray(lenAt, lenAt + 32))));
    if (data.length < lenAt + 32 + len) return undefined;
    return Buffer.from(data.subarray(lenAt + 32, lenAt + 32 + len)).toString('utf8');
  }
  if (sel === '0x4e487b71') {
    const code = word(0);
    if (code === undefined) return undefined;
    return (code < 0x100n ? PANIC_REASONS[Number(code)] : undefined) ?? `unknown panic code: 0x${code.toString(16)}`;
  }
  return undefined;
}

function qty(v: bigint | number): string {
  return '0x' + v.toString(16);
}

function word(b: Uint8Array): string {
  return '0x' + Buffer.from(b).toString('hex').padStart(64, '0');
}

function evmOf(vm: VM): EVM {
  return vm.evm as EVM;
}

interface StructLogEntry {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  error?: string;
  stack?: string[];
  memory?: string[];
  storage?: Record<string, string>;
  refund?: number;
}

export class StructLogger implements Tracer {
  private readonly opts: StructLoggerOptions;
  private readonly logs: StructLogEntry[] = [];
  /** Per contract (hex address): the slots seen by SLOAD/SSTORE so far, as geth keeps them. */
  private readonly storage = new Map<string, Map<string, string>>();
  /** An SLOAD whose value is known at the next step (it is then on top of the stack). */
  private pendingLoad: { entry: StructLogEntry | null; address: string; slot: string; depth: number } | null = null;
  private overflow = false;

  constructor(opts: StructLoggerOptions = {}) {
    this.opts = opts;
  }

  attach(vm: VM): () => void {
    const events = evmOf(vm).events;
    const limit = this.opts.limit && this.opts.limit > 0 ? this.opts.limit : Infinity;
    const onStep = (s: InterpreterStep): void => {
      if (this.pendingLoad) this.finishLoad(s);
      if (this.logs.length >= limit) return;
      if (this.logs.length >= MAX_STRUCT_LOGS) {
        this.overflow = true;
        return;
      }
      const entry: StructLogEntry = { pc: s.pc, op: s.opcode.name, gas: Number(s.gasLeft), gasCost: Number(s.opcode.dynamicFee ?? BigInt(s.opcode.fee)), depth: s.depth + 1 };
      if (!this.opts.disableStack) entry.stack = s.stack.map(qty);
      if (this.opts.enableMemory && s.memory.length > 0) {
        const words: string[] = [];
        for (let i = 0; i < s.memory.length; i += 32) words.push(word(s.memory.subarray(i, i + 32)));
        entry.memory = words;
      }
      if (!this.opts.disableStorage && (s.opcode.code === 0x54 || s.opcode.code === 0x55) && s.stack.length >= 1) {
        const address = s.address.toString();
        const slot = word(bigToBytes32(s.stack[s.stack.length - 1]!));
        if (s.opcode.code === 0x55 && s.stack.length >= 2) {
          this.slots(address).set(slot, word(bigToBytes32(s.stack[s.stack.length - 2]!)));
          entry.storage = Object.fromEntries(this.slots(address));
        } else if (s.opcode.code === 0x54) {
          this.pendingLoad = { entry, address, slot, depth: s.depth };
        }
      }
      if (s.gasRefund > 0n) entry.refund = Number(s.gasRefund);
      this.logs.push(entry);
    };
    // geth counts the gas handed to a called frame in the CALL's cost; EthereumJS's step hook does not know it yet.
    const onMessage = (m: Message): void => {
      if (this.pendingLoad) this.pendingLoad = null;
      if (m.depth === 0) return;
      const last = this.logs[this.logs.length - 1];
      if (!last || last.depth !== m.depth || !['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL'].includes(last.op)) return;
      const stipend = m.value > 0n && (last.op === 'CALL' || last.op === 'CALLCODE') ? 2300n : 0n;
      last.gasCost += Number(m.gasLimit - stipend);
    };
    const onAfter = (r: EVMResult): void => {
      this.pendingLoad = null;
      const err = r.execResult.exceptionError?.error;
      // geth logs the failing opcode with its error when the failure is the opcode's own (gas, stack).
      if (err && (err === 'out of gas' || err.startsWith('stack'))) {
        const last = this.logs[this.logs.length - 1];
        if (last && last.error === undefined) last.error = gethError(err);
      }
    };
    events.on('step', onStep);
    events.on('beforeMessage', onMessage);
    events.on('afterMessage', onAfter);
    return () => {
      events.off('step', onStep);
      events.off('beforeMessage', onMessage);
      events.off('afterMessage', onAfter);
    };
  }

  private slots(address: string): Map<string, string> {
    let m = this.storage.get(address);
    if (!m) this.storage.set(address, (m = new Map()));
    return m;
  }

  private finishLoad(next: InterpreterStep): void {
    const p = this.pendingLoad!;
    this.pendingLoad = null;
    if (next.depth !== p.depth || next.stack.length === 0) return;
    this.slots(p.address).set(p.slot, word(bigToBytes32(next.stack[next.stack.length - 1]!)));
    if (p.entry) p.entry.storage = Object.fromEntries(this.slots(p.address));
  }

  result(_tx: TracedTx, o: TxOutcome): unknown {
    if (this.overflow) throw new Error(`trace has more than ${MAX_STRUCT_LOGS} steps; pass a "limit"`);
    const failed = o.error !== undefined;
    const returnValue = failed && o.error !== 'revert' ? new Uint8Array(0) : o.returnValue;
    return { gas: Number(o.gasUsed), failed, returnValue: bytesToHex(returnValue), structLogs: this.logs };
  }
}

function bigToBytes32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0 && x > 0n; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

interface CallFrame {
  type: string;
  from: string;
  gas: string;
  gasUsed: string;
  to?: string;
  input: string;
  output?: string;
  error?: string;
  revertReason?: string;
  calls?: CallFrame[];
  value?: string;
}

export class CallTracer implements Tracer {
  private readonly opts: CallTracerOptions;
  private readonly stack: CallFrame[] = [];
  private top: CallFrame | null = null;

  constructor(opts: CallTracerOptions = {}) {
    this.opts = opts;
  }

  attach(vm: VM, frameOp: () => number): () => void {
    const events = evmOf(vm).events;
    // afterMessage carries no depth: count frames, so onlyTopCall can skip nested ones on both sides.
    let depth = -1;
    const onMessage = (m: Message): void => {
      depth = m.depth;
      if (m.depth === 0) {
        this.stack.push({ type: m.to ? 'CALL' : 'CREATE', from: m.caller.toString(), gas: '0x0', gasUsed: '0x0', input: bytesToHex(m.data), value: qty(m.value) });
        return;
      }
      if (this.opts.onlyTopCall) return;
      const op = OP_NAMES[frameOp()] ?? (m.to ? 'CALL' : m.salt ? 'CREATE2' : 'CREATE');
      const isCreate = op === 'CREATE' || op === 'CREATE2';
      const f: CallFrame = { type: op, from: m.caller.toString(), gas: qty(m.gasLimit), gasUsed: '0x0', input: bytesToHex(isCreate ? (m.code instanceof Uint8Array ? m.code : m.data) : m.data) };
      // CALLCODE runs the callee's code in the caller's account: geth names the code address as `to`.
      if (m.to) f.to = (op === 'CALLCODE' || op === 'DELEGATECALL' ? m.codeAddress : m.to).toString();
      // STATICCALL carries no value (geth leaves it out); DELEGATECALL shows the value it inherits.
      if (op !== 'STATICCALL') f.value = qty(m.value);
      this.stack.push(f);
    };
    const onAfter = (r: EVMResult): void => {
      const ended = depth--;
      if (ended > 0 && this.opts.onlyTopCall) return;
      const f = this.stack.pop();
      if (!f) return;
      f.gasUsed = qty(r.execResult.executionGasUsed);
      if (r.createdAddress && f.to === undefined && f.type.startsWith('CREATE')) f.to = r.createdAddress.toString();
      processOutput(f, r.execResult.returnValue, r.execResult.exceptionError?.error);
      const parent = this.stack[this.stack.length - 1];
      if (parent) (parent.calls ??= []).push(f);
      else this.top = f;
    };
    events.on('beforeMessage', onMessage);
    events.on('afterMessage', onAfter);
    return () => {
      events.off('beforeMessage', onMessage);
      events.off('afterMessage', onAfter);
    };
  }

  result(tx: TracedTx, o: TxOutcome): unknown {
    // Failed before any frame ran (cannot happen after runTx accepted the tx, but keep the shape).
    const top: CallFrame = this.top ?? { type: tx.to ? 'CALL' : 'CREATE', from: bytesToHex(tx.from), gas: '0x0', gasUsed: '0x0', input: bytesToHex(tx.data), value: qty(tx.value) };
    top.from = bytesToHex(tx.from);
    top.gas = qty(tx.gasLimit);
    top.gasUsed = qty(o.gasUsed);
    if (tx.to) top.to = bytesToHex(tx.to);
    else if (o.createdAddress && o.error === undefined) top.to = bytesToHex(o.createdAddress);
    if (o.error === undefined && top.error !== undefined) delete top.error;
    return orderFrame(top);
  }
}

function processOutput(f: CallFrame, output: Uint8Array, err: string | undefined): void {
  if (err === undefined) {
    f.output = bytesToHex(output);
    return;
  }
  f.error = gethError(err);
  if (f.type === 'CREATE' || f.type === 'CREATE2') delete f.to;
  if (err !== 'revert' || output.length === 0) return;
  f.output = bytesToHex(output);
  const reason = unpackRevert(output);
  if (reason !== undefined) f.revertReason = reason;
}

/** geth's field order (from, gas, gasUsed, to, input, output, error, revertReason, calls, value), with `type` first. */
function orderFrame(f: CallFrame): CallFrame {
  const o: CallFrame = { type: f.type, from: f.from, gas: f.gas, gasUsed: f.gasUsed, input: f.input };
  if (f.to !== undefined) o.to = f.to;
  if (f.output !== undefined) o.output = f.output;
  if (f.error !== undefined) o.error = f.error;
  if (f.revertReason !== undefined) o.revertReason = f.revertReason;
  if (f.calls?.length) o.calls = f.calls.map(orderFrame);
  if (f.value !== undefined) o.value = f.value;
  // Rebuild with geth's key order: `to` before `input`.
  const { type, from, gas, gasUsed, to, input, ...rest } = o;
  return { type, from, gas, gasUsed, ...(to !== undefined ? { to } : {}), input, ...rest };
}
