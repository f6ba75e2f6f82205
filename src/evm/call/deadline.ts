/**
 * A wall-time limit the EVM itself enforces. The interpreter awaits every step, but only on
 * promises that are already resolved, so a looping contract never yields to the event loop and a
 * timer cannot stop it. Instead the opcodes that make execution unbounded — backward jumps (JUMP,
 * JUMPI) and new frames (CALL*, CREATE*) — are wrapped to read the clock; past the deadline they fail
 * the frame with out-of-gas, every enclosing frame fails at its next jump or call, and the
 * transaction ends normally (journals unwound, nothing torn). The caller sees `expired` and reports a
 * timeout. Straight-line code between two jumps is at most one contract's size, so the overshoot is
 * bounded.
 *
 * The same hooks share the thread among several calls: with `sliceMs` set, a call that ran that long
 * waits for its next turn (SliceScheduler), so a call worker interleaves its calls as geth runs each
 * on its own goroutine, and a cheap call is not stuck behind a long one.
 */
import { EVMError, getOpcodesForHF, paramsEVM, type EVMOpts } from '@ethereumjs/evm';
import type { Common } from '@ethereumjs/common';

type CustomOpcode = NonNullable<EVMOpts['customOpcodes']>[number];

const JUMPS = [0x56, 0x57];
const FRAMES = [0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa];

interface Waiting {
  /** The call's deadline (performance.now() ms). */
  at: number;
  usedMs: number;
  resume: () => void;
}

/**
 * Turns for the calls of one thread that used up a slice. One call resumes per event-loop turn, so
 * messages (a new call, a state node a call waits for) are handled between any two slices. Order:
 * calls past their deadline first (they only need to stop), then the one that has used the least
 * EVM time (a new, probably short, call before the long ones; long ones round-robin), newest first
 * among equals.
 */
export class SliceScheduler {
  private readonly waiting: Waiting[] = [];
  private armed = false;

  enqueue(w: Waiting): void {
    this.waiting.push(w);
    this.arm();
  }

  get length(): number {
    return this.waiting.length;
  }

  private arm(): void {
    if (this.armed || this.waiting.length === 0) return;
    this.armed = true;
    // Queued from a check-phase callback, an immediate runs on the next loop turn, after I/O.
    setImmediate(() => this.runOne());
  }

  private runOne(): void {
    this.armed = false;
    const now = performance.now();
    let best = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = this.waiting[best]!;
      const wExpired = w.at <= now;
      const bExpired = b.at <= now;
      // Ties (new calls: none used yet) go newest first: a burst of calls just in cannot delay the
      // one after it by a turn each.
      if (wExpired !== bExpired ? wExpired : w.usedMs <= b.usedMs) best = i;
    }
    if (best >= 0) this.waiting.splice(best, 1)[0]!.resume();
    this.arm();
  }
}

/** Every call worker runs its calls on one thread: one scheduler per thread. */
const slices = new SliceScheduler();

/**
 * A new call's first turn: it starts when the scheduler says, not as its message arrives, so a
 * burst of new calls cannot hold back calls past their deadline (which only need a turn to stop).
 * `at`: its deadline (performance.now() ms).
 */
export function firstTurn(at: number): Promise<void> {
  return new Promise((resolve) => slices.enqueue({ at, usedMs: 0, resume: resolve }));
}

export class Deadline {
  /** performance.now() value past which execution stops; Infinity = no limit. */
  private at = Infinity;
  private ticks = 0;
  expired = false;
  /**
   * Time slices: with `sliceMs` set, a call that has run that long since it last yielded gives the
   * event loop a turn (at a jump or a new frame), so other calls in the same worker, and the
   * messages bringing new ones, are not stuck behind a long loop. 0 = never yield.
   */
  sliceMs = 0;
  private sliceStart = 0;
  /** Set when the last check found the slice used up: the opcode yields before running. */
  yieldDue = false;
  /** The last CALL-/CREATE-family opcode run: the call tracer's frame type (EthereumJS messages do not carry it). */
  lastFrameOp = 0;

  set(at: number): void {
    this.at = at;
    this.expired = false;
    this.ticks = 0;
    this.sliceStart = performance.now();
    this.yieldDue = false;
    this.usedMs = 0;
  }

  clear(): void {
    this.set(Infinity);
  }

  /** Reads the clock (a new frame is rare enough to check every time). */
  check(): boolean {
    if (this.expired) return true;
    if (this.at === Infinity && this.sliceMs === 0) return false;
    const now = performance.now();
    if (now >= this.at) this.expired = true;
    else if (this.sliceMs > 0 && now - this.sliceStart >= this.sliceMs) this.yieldDue = true;
    return this.expired;
  }

  /** EVM time this call has used in earlier slices (ms). */
  private usedMs = 0;

  /** Waits for this call's next turn (SliceScheduler) and starts a new slice. */
  pause(): Promise<void> {
    this.yieldDue = false;
    this.usedMs += performance.now() - this.sliceStart;
    return new Promise((resolve) =>
      slices.enqueue({
        at: this.at,
        usedMs: this.usedMs,
        resume: () => {
          this.sliceStart = performance.now();
          resolve();
        },
      }),
    );
  }

  /** The jump path: reads the clock every 256th jump, so a tight loop pays almost nothing. */
  tick(): boolean {
    if (this.expired) return true;
    if ((++this.ticks & 255) !== 0) return false;
    return this.check();
  }
}

function jumpAfterPause(deadline: Deadline, run: () => unknown): unknown {
  // The deadline may have passed while others ran.
  if (deadline.check()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
  return run();
}

/** EVM `customOpcodes` that wrap the jump and frame opcodes of `common`'s hardfork with `deadline`. */
export function deadlineOpcodes(common: Common, deadline: Deadline): CustomOpcode[] {
  // The EVM merges its gas parameters into Common when it is built; the opcode table needs them first.
  common.updateParams(paramsEVM);
  const base = getOpcodesForHF(common);
  const out: CustomOpcode[] = [];
  for (const op of [...JUMPS, ...FRAMES]) {
    const info = base.opcodes.get(op);
    const handler = base.handlers.get(op);
    if (!info || !handler) continue; // CREATE2/STATICCALL before their forks
    const isJump = JUMPS.includes(op);
    const gasFunction = base.dynamicGasHandlers.get(op);
    out.push({
      opcode: op,
      opcodeName: info.name,
      baseFee: info.fee,
      ...(gasFunction ? { gasFunction } : {}),
      // Custom opcodes are awaited by the interpreter, so returning a promise here yields for real.
      logicFunction: isJump
        ? (runState, c) => {
            if (deadline.tick()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
            if (deadline.yieldDue) return deadline.pause().then(() => jumpAfterPause(deadline, () => handler(runState, c)));
            return handler(runState, c);
          }
        : (runState, c) => {
            if (deadline.check()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
            if (deadline.yieldDue)
              return deadline.pause().then(() => {
                if (deadline.check()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
                deadline.lastFrameOp = op;
                return handler(runState, c);
              });
            deadline.lastFrameOp = op;
            return handler(runState, c);
          },
    });
  }
  return out;
}
