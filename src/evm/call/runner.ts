/**
 * Runs calls, estimates, access lists, proofs and traces on a read-only state view: a
 * MerkleStateManager over a ScratchDb (reads from the stored state, writes kept aside and dropped).
 * One runner serves one request at a time. The executor uses one in-process (its ExecutorApi.call and
 * state reads, unchanged); each call worker uses one over RemoteNodeDb, with a wall-time limit.
 *
 * The limit: `Deadline` makes the EVM stop itself (deadline.ts) and a timer fails node reads still
 * waiting for the state owner; either way the request ends with CallTimeoutError and the runner is
 * put back in a clean state (checkpoints unwound, journal cleared, caches dropped).
 */
import { createBlock, type Block } from '@ethereumjs/block';
import type { EVM } from '@ethereumjs/evm';
import { createMPT } from '@ethereumjs/mpt';
import { Caches, MerkleStateManager, getMerkleStateProof } from '@ethereumjs/statemanager';
import { createAccessList2930Tx, createLegacyTx, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { Address } from '@ethereumjs/util';
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import { bytesToHex, equalBytes, hexToBytes } from '../../util/bytes.ts';
import { EMPTY_TRIE_ROOT, ZERO_ADDRESS } from '../block.ts';
import { ancestorBlockchain } from '../ancestors.ts';
import type { SharedCommon } from '../common.ts';
import { keccak256 } from '../crypto.ts';
import { CallRevertedError, CallTimeoutError, type AccountState, type CallBlockRef, type CallRequest, type CallResult } from '../interface.ts';
import { Deadline, deadlineOpcodes } from './deadline.ts';
import type { AccessListEntry, AccessListResult, AccountProof, ReplayBlock, TraceOptions } from './interface.ts';
import type { ScratchDb } from './overlayDb.ts';
import { CallTracer, StructLogger, gethError, type TracedTx, type Tracer, type TxOutcome } from './tracers.ts';
import '../jumpAnalysisCache.ts';

/** Default gas of a call that names none (before the cap): the block's limit, at least this. */
export const CALL_GAS_DEFAULT = 50_000_000n;
/** createAccessList re-runs the call with the list it found until the list stops changing; geth has no bound, we stop here. */
const ACCESS_LIST_ROUNDS = 16;

export interface CallRunnerOptions {
  /** Highest gas a call may use (rpc.gasCap); none for the executor's own calls. */
  gasCap?: bigint;
  /**
   * Wrap the jump and frame opcodes so a deadline can stop the EVM (default true). The executor's
   * own calls run without a limit and skip the wrapper's small cost; traces need it (frame types).
   */
  interruptible?: boolean;
  /**
   * Yield to the event loop after this many ms of EVM time (deadline.ts), so other calls in the
   * same thread interleave with a long one. Default 0: run to the end (the executor's own calls).
   */
  sliceMs?: number;
}

/** A wall-time limit for one request, on this thread's performance.now() clock. */
export interface RunLimit {
  deadlineAt: number;
  /** For the error text ("execution aborted (timeout = 5s)"). */
  timeoutMs: number;
}

/** A DB the runner may ask to fail its waiting reads when the deadline passes (RemoteNodeDb). */
type RunnerDb = ScratchDb & { abort?(err: Error): void };

function newCaches(): Caches {
  return new Caches({ account: { size: 100_000 }, storage: { size: 200_000 }, code: { size: 1_000 } });
}

export function padLeft(b: Uint8Array, len: number): Uint8Array {
  if (b.length >= len) return b;
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

function outcomeOf(r: RunTxResult): TxOutcome {
  const o: TxOutcome = { gasUsed: r.totalGasSpent, returnValue: r.execResult.returnValue };
  const err = r.execResult.exceptionError?.error;
  if (err !== undefined) o.error = err;
  if (r.createdAddress) o.createdAddress = r.createdAddress.bytes;
  return o;
}

function tracerFor(opts: TraceOptions): Tracer {
  return opts.tracer === 'call' ? new CallTracer({ onlyTopCall: opts.onlyTopCall }) : new StructLogger(opts);
}

export class CallRunner {
  readonly common: SharedCommon;
  private readonly db: RunnerDb;
  private readonly gasCap: bigint | undefined;
  private readonly interruptible: boolean;
  private readonly deadline = new Deadline();
  private sm!: MerkleStateManager;
  private vm!: VM;
  private root: Uint8Array | null = null;
  private ancestors: Uint8Array[] = [];
  private ancestorsOf = 0n;

  private constructor(common: SharedCommon, db: RunnerDb, opts: CallRunnerOptions) {
    this.common = common;
    this.db = db;
    this.gasCap = opts.gasCap;
    this.interruptible = opts.interruptible ?? true;
    this.deadline.sliceMs = opts.sliceMs ?? 0;
  }

  static async create(common: SharedCommon, db: RunnerDb, opts: CallRunnerOptions = {}): Promise<CallRunner> {
    const r = new CallRunner(common, db, opts);
    await r.build();
    return r;
  }

  private async build(): Promise<void> {
    const common = this.common;
    // BLOCKHASH looks ancestors up by number; a replayed block supplies them, a call has none (zero hash).
    const blockchain = ancestorBlockchain(() => ({ of: this.ancestorsOf, hashes: this.ancestors }));
    const trie = await createMPT({ db: this.db, useKeyHashing: true, valueEncoding: 'view', common });
    this.sm = new MerkleStateManager({ trie, common, caches: newCaches() });
    const evmOpts = this.interruptible ? { customOpcodes: deadlineOpcodes(common, this.deadline) } : {};
    this.vm = await createVM({ common, stateManager: this.sm, blockchain: blockchain as never, evmOpts });
    this.root = null;
  }

  /** After a request threw part-way: unwind what it left and forget the root (caches go with it). */
  private async recover(): Promise<void> {
    try {
      // `_checkpointCount` is EthereumJS-private (pinned version; test/evm/ethereumjs-pin.test.ts).
      while (this.sm['_checkpointCount'] > 0) await this.sm.revert();
      (this.vm.evm as EVM).journal.cleanJournal();
      this.root = null;
      this.db.clearLocal();
    } catch {
      await this.build();
    }
  }

  private async at(root: Uint8Array): Promise<void> {
    if (this.root && equalBytes(this.root, root)) return;
    if (!equalBytes(root, EMPTY_TRIE_ROOT) && !(await this.sm['_trie'].checkRoot(root))) throw new Error(`state ${bytesToHex(root)} is not available (unknown block or not executed)`);
    this.db.clearLocal();
    await this.sm.setStateRoot(root, true);
    this.root = root;
  }

  private async limited<T>(limit: RunLimit | undefined, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    if (limit && !this.interruptible) throw new Error('CallRunner: a time limit needs an interruptible runner');
    if (limit) {
      if (performance.now() >= limit.deadlineAt) throw new CallTimeoutError(limit.timeoutMs);
      this.deadline.set(limit.deadlineAt);
      // A loop is stopped by the EVM itself; a read waiting for the state owner is failed by this timer.
      timer = setTimeout(() => this.db.abort?.(new CallTimeoutError(limit.timeoutMs)), limit.deadlineAt - performance.now());
    }
    try {
      const out = await fn();
      if (limit && this.deadline.expired) throw new CallTimeoutError(limit.timeoutMs);
      return out;
    } catch (e) {
      await this.recover();
      if (limit && (this.deadline.expired || performance.now() >= limit.deadlineAt)) throw new CallTimeoutError(limit.timeoutMs);
      throw e;
    } finally {
      clearTimeout(timer);
      this.deadline.clear();
    }
  }

  private expiredCheck(limit: RunLimit | undefined): void {
    if (limit && this.deadline.expired) throw new CallTimeoutError(limit.timeoutMs);
  }

  /** The call tracer learns frame types from the wrapped opcodes. */
  private requireInterruptible(): void {
    if (!this.interruptible) throw new Error('CallRunner: tracing needs an interruptible runner');
  }

  private capGas(g: bigint): bigint {
    return this.gasCap !== undefined && g > this.gasCap ? this.gasCap : g;
  }

  private callBlock(ref: CallBlockRef, gasLimit: bigint): Block {
    this.ancestors = [];
    this.ancestorsOf = ref.number;
    return createBlock(
      { header: { number: ref.number, timestamp: ref.time, gasLimit: ref.gasLimit > gasLimit ? ref.gasLimit : gasLimit, coinbase: ref.coinbase ?? ZERO_ADDRESS, difficulty: ref.difficulty ?? 0n } },
      { common: this.common, skipConsensusFormatValidation: true },
    );
  }

  private callTx(req: CallRequest, gasLimit: bigint, accessList?: AccessListEntry[]): TypedTransaction {
    const from = new Address(req.from ?? ZERO_ADDRESS);
    const base = { to: req.to, data: req.data ?? new Uint8Array(0), value: req.value ?? 0n, gasLimit, gasPrice: req.gasPrice ?? 0n, nonce: 0n };
    const tx = accessList
      ? createAccessList2930Tx({ ...base, accessList: accessList.map((e) => [e.address, e.storageKeys] as [Uint8Array, Uint8Array[]]) }, { common: this.common, freeze: false })
      : createLegacyTx(base, { common: this.common, freeze: false });
    Object.defineProperty(tx, 'getSenderAddress', { value: () => from });
    return tx as TypedTransaction;
  }

  /** One call on the current root, its state changes reverted afterwards. */
  private async runCall(req: CallRequest, ref: CallBlockRef, gasLimit: bigint, extra: { accessList?: AccessListEntry[]; reportAccessList?: boolean; tracer?: Tracer } = {}): Promise<RunTxResult> {
    const tx = this.callTx(req, gasLimit, extra.accessList);
    const block = this.callBlock(ref, gasLimit);
    const detach = extra.tracer?.attach(this.vm, () => this.deadline.lastFrameOp);
    await this.sm.checkpoint();
    try {
      return await runTx(this.vm, {
        tx,
        block,
        skipNonce: true,
        skipBalance: true,
        skipHardForkValidation: true,
        skipBlockGasLimitValidation: true,
        reportAccessList: extra.reportAccessList === true,
      });
    } finally {
      detach?.();
      await this.sm.revert();
    }
  }

  private async runCallTx(req: CallRequest, ref: CallBlockRef, gasLimit: bigint): Promise<CallResult> {
    const r = await this.runCall(req, ref, gasLimit);
    const err = r.execResult.exceptionError;
    const out: CallResult = {
      success: err === undefined,
      returnValue: r.execResult.returnValue,
      gasUsed: r.totalGasSpent,
      logs: (r.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
    };
    if (err) out.error = err.error === 'revert' ? 'revert' : err.error;
    return out;
  }

  call(req: CallRequest, ref: CallBlockRef, limit?: RunLimit): Promise<CallResult> {
    return this.limited(limit, async () => {
      await this.at(ref.stateRoot);
      return this.runCallTx(req, ref, this.capGas(req.gasLimit ?? (ref.gasLimit > CALL_GAS_DEFAULT ? ref.gasLimit : CALL_GAS_DEFAULT)));
    });
  }

  estimateGas(req: CallRequest, ref: CallBlockRef, limit?: RunLimit): Promise<bigint> {
    return this.limited(limit, async () => {
      await this.at(ref.stateRoot);
      let hi = this.capGas(req.gasLimit ?? ref.gasLimit);
      const first = await this.runCallTx(req, ref, hi);
      this.expiredCheck(limit);
      if (!first.success) {
        if (first.error === 'revert') throw new CallRevertedError('execution reverted', first.returnValue);
        throw new Error(`gas required exceeds allowance (${hi})` + (first.error ? `: ${first.error}` : ''));
      }
      // Refunds and the 63/64 rule mean gasUsed can be too little as a limit: search between it and hi.
      const atUsed = await this.runCallTx(req, ref, first.gasUsed);
      this.expiredCheck(limit);
      if (atUsed.success) return first.gasUsed;
      let lo = first.gasUsed;
      while (hi - lo > 1n && (hi - lo) * 1000n > lo) {
        const mid = (lo + hi) / 2n;
        const r = await this.runCallTx(req, ref, mid);
        this.expiredCheck(limit);
        if (r.success) hi = mid;
        else lo = mid;
      }
      return hi;
    });
  }

  /**
   * geth's eth_createAccessList: run the call as an access-list transaction carrying the list the
   * previous run touched, until a run touches nothing new; report that list and the gas the call
   * uses with it. Sender, recipient and precompiles are warm anyway and appear only with storage keys.
   */
  createAccessList(req: CallRequest, ref: CallBlockRef, limit?: RunLimit): Promise<AccessListResult> {
    return this.limited(limit, async () => {
      await this.at(ref.stateRoot);
      const gas = this.capGas(req.gasLimit ?? (ref.gasLimit > CALL_GAS_DEFAULT ? ref.gasLimit : CALL_GAS_DEFAULT));
      let list: AccessListEntry[] = [];
      for (let round = 0; ; round++) {
        const r = await this.runCall(req, ref, gas, { accessList: list, reportAccessList: true });
        this.expiredCheck(limit);
        const created = req.to === undefined && r.createdAddress ? r.createdAddress.bytes : null;
        const next = (r.accessList ?? [])
          .map((e) => ({ address: hexToBytes(e.address), storageKeys: e.storageKeys.map((k) => hexToBytes(k)) }))
          // A created contract is the transaction's own target, as geth treats it.
          .filter((e) => !(created && equalBytes(e.address, created) && e.storageKeys.length === 0));
        if (sameAccessList(list, next) || round + 1 >= ACCESS_LIST_ROUNDS) {
          const out: AccessListResult = { accessList: next, gasUsed: r.totalGasSpent };
          const err = r.execResult.exceptionError?.error;
          if (err !== undefined) {
            out.error = gethError(err);
            if (err === 'revert') out.revertData = r.execResult.returnValue;
          }
          return out;
        }
        list = next;
      }
    });
  }

  getProof(stateRoot: Uint8Array, address: Uint8Array, storageKeys: Uint8Array[], limit?: RunLimit): Promise<AccountProof> {
    return this.limited(limit, async () => {
      await this.at(stateRoot);
      const keys = storageKeys.map((k) => padLeft(k, 32));
      const p = await getMerkleStateProof(this.sm, new Address(address), keys);
      const byKey = new Map(p.storageProof.map((s) => [s.key.toLowerCase(), s]));
      return {
        address,
        accountProof: p.accountProof.map((h) => hexToBytes(h)),
        balance: BigInt(p.balance),
        nonce: BigInt(p.nonce),
        codeHash: hexToBytes(p.codeHash),
        storageHash: hexToBytes(p.storageHash),
        // An absent account has no storage trie: every key is zero with an empty proof (as geth answers).
        storageProof: keys.map((k) => {
          const s = byKey.get(bytesToHex(k));
          return s ? { key: k, value: BigInt(s.value), proof: s.proof.map((h) => hexToBytes(h)) } : { key: k, value: 0n, proof: [] };
        }),
      };
    });
  }

  traceCall(req: CallRequest, ref: CallBlockRef, opts: TraceOptions, limit?: RunLimit): Promise<unknown> {
    return this.limited(limit, async () => {
      this.requireInterruptible();
      await this.at(ref.stateRoot);
      const gas = this.capGas(req.gasLimit ?? (ref.gasLimit > CALL_GAS_DEFAULT ? ref.gasLimit : CALL_GAS_DEFAULT));
      const tracer = tracerFor(opts);
      const r = await this.runCall(req, ref, gas, { tracer });
      this.expiredCheck(limit);
      const tx: TracedTx = { from: req.from ?? ZERO_ADDRESS, value: req.value ?? 0n, gasLimit: gas, data: req.data ?? new Uint8Array(0) };
      if (req.to) tx.to = req.to;
      return tracer.result(tx, outcomeOf(r));
    });
  }

  private decodeTx(raw: Uint8Array, sender: Uint8Array): TypedTransaction {
    const tx = createTxFromRLP(raw, { common: this.common, freeze: false }) as TypedTransaction;
    const addr = new Address(sender);
    const hash = keccak256(raw);
    // Senders come from the chain store (recovered at import): never recover again.
    Object.defineProperty(tx, 'getSenderAddress', { value: () => addr });
    Object.defineProperty(tx, 'hash', { value: () => hash });
    return tx;
  }

  /**
   * Re-executes a stored block on its parent's state, tracing every transaction or only `txIndex`
   * (those before it run untraced, as they did in the block). Fees go to the block's author, as in
   * the executor. The state changes are reverted afterwards.
   */
  traceBlock(b: ReplayBlock, opts: TraceOptions, txIndex?: number, limit?: RunLimit): Promise<unknown[]> {
    return this.limited(limit, async () => {
      this.requireInterruptible();
      if (b.txs.length !== b.senders.length) throw new Error(`traceBlock: ${b.txs.length} txs but ${b.senders.length} senders`);
      if (txIndex !== undefined && (txIndex < 0 || txIndex >= b.txs.length)) throw new Error(`traceBlock: no transaction ${txIndex} in block ${b.number}`);
      await this.at(b.parentStateRoot);
      const block = createBlock(
        { header: { number: b.number, timestamp: b.time, gasLimit: b.gasLimit, difficulty: b.difficulty, coinbase: b.author, mixHash: b.mixDigest } },
        { common: this.common, skipConsensusFormatValidation: true },
      );
      this.ancestors = b.ancestorHashes;
      this.ancestorsOf = b.number;
      const out: unknown[] = [];
      const last = txIndex ?? b.txs.length - 1;
      await this.sm.checkpoint();
      try {
        for (let i = 0; i <= last; i++) {
          const tx = this.decodeTx(b.txs[i]!, b.senders[i]!);
          const tracer = txIndex === undefined || i === txIndex ? tracerFor(opts) : null;
          const detach = tracer?.attach(this.vm, () => this.deadline.lastFrameOp);
          let r: RunTxResult;
          try {
            r = await runTx(this.vm, { tx, block, skipHardForkValidation: true, skipBlockGasLimitValidation: true });
          } finally {
            detach?.();
          }
          this.expiredCheck(limit);
          if (tracer) {
            const t: TracedTx = { from: b.senders[i]!, value: tx.value, gasLimit: tx.gasLimit, data: tx.data };
            if (tx.to) t.to = tx.to.bytes;
            out.push(tracer.result(t, outcomeOf(r)));
          }
        }
        return out;
      } finally {
        await this.sm.revert();
      }
    });
  }

  getAccount(stateRoot: Uint8Array, address: Uint8Array): Promise<AccountState | undefined> {
    return this.getAccounts(stateRoot, [address]).then((a) => a[0]);
  }

  getAccounts(stateRoot: Uint8Array, addresses: readonly Uint8Array[]): Promise<(AccountState | undefined)[]> {
    return this.limited(undefined, async () => {
      await this.at(stateRoot);
      const out: (AccountState | undefined)[] = [];
      for (const address of addresses) {
        const a = await this.sm.getAccount(new Address(address));
        out.push(a ? { nonce: a.nonce, balance: a.balance, codeHash: a.codeHash, storageRoot: a.storageRoot } : undefined);
      }
      return out;
    });
  }

  getCode(stateRoot: Uint8Array, address: Uint8Array): Promise<Uint8Array> {
    return this.limited(undefined, async () => {
      await this.at(stateRoot);
      return this.sm.getCode(new Address(address));
    });
  }

  getStorage(stateRoot: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    return this.limited(undefined, async () => {
      await this.at(stateRoot);
      return padLeft(await this.sm.getStorage(new Address(address), padLeft(slot, 32)), 32);
    });
  }
}

function sameAccessList(a: AccessListEntry[], b: AccessListEntry[]): boolean {
  const key = (l: AccessListEntry[]) => new Set(l.flatMap((e) => [bytesToHex(e.address), ...e.storageKeys.map((k) => bytesToHex(e.address) + bytesToHex(k))]));
  const ka = key(a);
  const kb = key(b);
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
}
