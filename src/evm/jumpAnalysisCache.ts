/**
 * Jump-destination analysis kept across calls. EthereumJS's interpreter analyses a contract's code
 * (valid JUMPDESTs, PUSH immediates, the opcode of every byte) on every call that jumps, so each
 * ERC-20 transfer re-analysed the token's few kilobytes: ~50 µs, about 8% of the transfer. The
 * analysis depends only on the code and the EVM's opcode table, and the interpreter only reads it,
 * so it is cached per (opcode table, code object): the state manager's code cache hands out the same
 * code bytes object while the code is cached, and a code change is a new object.
 *
 * This patches `Interpreter.prototype._getValidJumpDestinations` of @ethereumjs/evm 10.1.3, pinned
 * exactly for that (test/evm/ethereumjs-pin.test.ts fails if the method disappears). Importing this
 * module installs it once per thread.
 */

interface Analysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: unknown[];
}

interface InterpreterLike {
  _evm: { _opcodeMap: object };
}

type Analyse = (this: InterpreterLike, code: Uint8Array) => Analysis;

export const jumpAnalysisStats = { hits: 0, misses: 0 };

const interpreterUrl = new URL('./interpreter.js', import.meta.resolve('@ethereumjs/evm'));
const { Interpreter } = (await import(interpreterUrl.href)) as { Interpreter: { prototype: { _getValidJumpDestinations?: Analyse } } };
const proto = Interpreter.prototype;
const original = proto._getValidJumpDestinations;
if (typeof original !== 'function') throw new Error('@ethereumjs/evm: Interpreter._getValidJumpDestinations is gone; the jump-analysis cache needs updating');

const INSTALLED = Symbol.for('bttc-node.jumpAnalysisCache');
const marked = proto as { [INSTALLED]?: true };
if (!marked[INSTALLED]) {
  const byTable = new WeakMap<object, WeakMap<Uint8Array, Analysis>>();
  proto._getValidJumpDestinations = function cachedJumpAnalysis(this: InterpreterLike, code: Uint8Array): Analysis {
    const table = this._evm._opcodeMap;
    let byCode = byTable.get(table);
    if (!byCode) byTable.set(table, (byCode = new WeakMap()));
    let a = byCode.get(code);
    if (a) {
      jumpAnalysisStats.hits++;
      return a;
    }
    jumpAnalysisStats.misses++;
    a = original.call(this, code);
    byCode.set(code, a);
    return a;
  };
  marked[INSTALLED] = true;
}
