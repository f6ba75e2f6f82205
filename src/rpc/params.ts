/**
 * Parameter parsing for RPC handlers: every failure is -32602 naming the argument and what was
 * expected, with the offending input echoed through `show` (at most ECHO_MAX characters, however
 * large or deep the input: a 4 MB string must not come back as a 4 MB error).
 */
import { hexToBytes } from '../util/bytes.ts';
import { invalidParams } from './errors.ts';

/** Longest echo of an input in an error message. */
export const ECHO_MAX = 200;
/** Nesting a JSON-like echo walks before writing "…" (the budget stops it long before on real input). */
const SHOW_DEPTH = 16;

/**
 * A JSON-like rendering of `v` cut at `max` characters. It stops walking once the budget is spent,
 * so its cost follows what it prints, not the input's size or depth (JSON.stringify of a
 * 100,000-deep array overflows the stack).
 */
export function show(v: unknown, max = ECHO_MAX): string {
  let out = '';
  const full = () => out.length > max;
  const put = (s: string) => {
    out += s.length > max + 1 ? s.slice(0, max + 1) : s;
  };
  const walk = (x: unknown, depth: number): void => {
    if (full()) return;
    if (typeof x === 'string') {
      put(JSON.stringify(x.length > max ? x.slice(0, max) : x));
      return;
    }
    if (x === null || typeof x === 'number' || typeof x === 'boolean') return put(String(x));
    if (x === undefined) return put('undefined');
    if (typeof x !== 'object') return put(typeof x);
    if (depth >= SHOW_DEPTH) return put('…');
    if (Array.isArray(x)) {
      put('[');
      for (let i = 0; i < x.length && !full(); i++) {
        if (i) put(',');
        walk(x[i], depth + 1);
      }
      return put(']');
    }
    put('{');
    let first = true;
    for (const k in x as Record<string, unknown>) {
      if (full()) break;
      if (!first) put(',');
      first = false;
      put(JSON.stringify(k.length > max ? k.slice(0, max) : k) + ':');
      walk((x as Record<string, unknown>)[k], depth + 1);
    }
    put('}');
  };
  walk(v, 0);
  if (!full()) return out;
  const size = typeof v === 'string' ? ` (${v.length} characters)` : '';
  return `${out.slice(0, max)}…${size}`;
}

/**
 * How deep `v` nests arrays and objects, counting no further than `limit + 1`: iterative, so a
 * hostile 100,000-deep array costs a walk, never the stack.
 */
export function nestingDepth(v: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    if (Array.isArray(x)) for (const y of x) stack.push([y, depth]);
    else for (const k in x as Record<string, unknown>) stack.push([(x as Record<string, unknown>)[k], depth]);
  }
  return max;
}

const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA = /^0x([0-9a-fA-F]{2})*$/;

export function arg(params: unknown[], i: number): unknown {
  return params[i];
}

export function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'string' && QUANTITY.test(v)) return BigInt(v);
  // ethers and some tools send leading zeros ("0x01"); geth accepts them for block numbers and values
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(v)) return BigInt(v);
  throw invalidParams(`invalid argument ${name}: expected a hex quantity like "0x1a", got ${show(v)}`);
}

export function data(v: unknown, name: string, size?: number): Uint8Array {
  if (typeof v !== 'string' || !DATA.test(v)) throw invalidParams(`invalid argument ${name}: expected 0x-prefixed hex bytes, got ${show(v)}`);
  const b = hexToBytes(v);
  if (size !== undefined && b.length !== size) throw invalidParams(`invalid argument ${name}: expected ${size} bytes, got ${b.length}`);
  return b;
}

export function address(v: unknown, name: string): Uint8Array {
  return data(v, name, 20);
}

export function hash32(v: unknown, name: string): Uint8Array {
  return data(v, name, 32);
}

export function bool(v: unknown, name: string, dflt?: boolean): boolean {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw invalidParams(`invalid argument ${name}: expected true or false, got ${show(v)}`);
  return v;
}

export type BlockTag = { kind: 'latest' | 'earliest' | 'pending' | 'finalized' | 'safe' } | { kind: 'number'; number: bigint } | { kind: 'hash'; hash: Uint8Array; requireCanonical: boolean };

/** A block tag, number, or EIP-1898 object ({blockNumber} / {blockHash, requireCanonical}). Absent = latest. */
export function blockTag(v: unknown, name: string): BlockTag {
  if (v === undefined || v === null) return { kind: 'latest' };
  if (typeof v === 'string') {
    if (v === 'latest' || v === 'earliest' || v === 'pending' || v === 'finalized' || v === 'safe') return { kind: v };
    if (v.length === 66) return { kind: 'hash', hash: hash32(v, name), requireCanonical: false };
    return { kind: 'number', number: quantity(v, name) };
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.blockHash !== undefined) return { kind: 'hash', hash: hash32(o.blockHash, `${name}.blockHash`), requireCanonical: o.requireCanonical === true };
    if (o.blockNumber !== undefined) return blockTag(o.blockNumber, `${name}.blockNumber`);
  }
  throw invalidParams(`invalid argument ${name}: expected a block number, "latest", "earliest", "pending", "finalized", "safe" or {blockHash}, got ${show(v)}`);
}

export function object(v: unknown, name: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(`invalid argument ${name}: expected an object, got ${show(v)}`);
  return v as Record<string, unknown>;
}

export function requireParams(params: unknown[], min: number, max: number, method: string): void {
  if (params.length < min || params.length > max) throw invalidParams(`${method} takes ${min === max ? min : `${min} to ${max}`} parameter${max === 1 ? '' : 's'}, got ${params.length}`);
}
