/**
 * A wall-time limit the EVM itself enforces. The interpreter awaits every step, but only on
 * promises that are already resolved, so a looping contract never yields to the event loop and a
 * timer cannot stop it. Instead the opcodes that make execution unbounded — backward jumps (JUMP,
 * JUMPI) and new frames (CALL*, CREATE*) — are wrapped to read the clock; past the deadline they fail
 * the frame with out-of-gas, every enclosing frame fails at its next jump or call, and the
 * transaction ends normally (journals unwound, nothing torn). The caller sees `expired` and reports a
 * timeout. Straight-line code between two jumps is at most one contract's size, so the overshoot is
 * bounded.
 */
import { EVMError, getOpcodesForHF, paramsEVM, type EVMOpts } from '@ethereumjs/evm';
import type { Common } from '@ethereumjs/common';

type CustomOpcode = NonNullable<EVMOpts['customOpcodes']>[number];

const JUMPS = [0x56, 0x57];
const FRAMES = [0xf0, 0xf1, 0xf2, 0xf4, 0xf5, 0xfa];

export class Deadline {
  /** performance.now() value past which execution stops; Infinity = no limit. */
  private at = Infinity;
  private ticks = 0;
  expired = false;
  /** The last CALL-/CREATE-family opcode run: the call tracer's frame type (EthereumJS messages do not carry it). */
  lastFrameOp = 0;

  set(at: number): void {
    this.at = at;
    this.expired = false;
    this.ticks = 0;
  }

  clear(): void {
    this.set(Infinity);
  }

  /** Reads the clock (a new frame is rare enough to check every time). */
  check(): boolean {
    if (!this.expired && this.at !== Infinity && performance.now() >= this.at) this.expired = true;
    return this.expired;
  }

  /** The jump path: reads the clock every 256th jump, so a tight loop pays almost nothing. */
  tick(): boolean {
    if (this.expired) return true;
    if ((++this.ticks & 255) !== 0) return false;
    return this.check();
  }
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
      logicFunction: isJump
        ? (runState, c) => {
            if (deadline.tick()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
            return handler(runState, c);
          }
        : (runState, c) => {
            if (deadline.check()) throw new EVMError(EVMError.errorMessages.OUT_OF_GAS);
            deadline.lastFrameOp = op;
            return handler(runState, c);
          },
    });
  }
  return out;
}
