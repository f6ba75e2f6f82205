/** Parameter parsing for RPC handlers: every failure is -32602 naming the argument and what was expected. */
import { hexToBytes } from '../util/bytes.ts';
import { invalidParams } from './errors.ts';

const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA = /^0x([0-9a-fA-F]{2})*$/;

export function arg(params: unknown[], i: number): unknown {
  return params[i];
}

export function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'string' && QUANTITY.test(v)) return BigInt(v);
  // ethers and some tools send leading zeros ("0x01"); geth accepts them for block numbers and values
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(v)) return BigInt(v);
  throw invalidParams(`invalid argument ${name}: expected a hex quantity like "0x1a", got ${JSON.stringify(v)}`);
}

export function data(v: unknown, name: string, size?: number): Uint8Array {
  if (typeof v !== 'string' || !DATA.test(v)) throw invalidParams(`invalid argument ${name}: expected 0x-prefixed hex bytes, got ${JSON.stringify(v)?.slice(0, 80)}`);
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
  if (typeof v !== 'boolean') throw invalidParams(`invalid argument ${name}: expected true or false, got ${JSON.stringify(v)}`);
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
  throw invalidParams(`invalid argument ${name}: expected a block number, "latest", "earliest", "pending", "finalized", "safe" or {blockHash}, got ${JSON.stringify(v)}`);
}

export function object(v: unknown, name: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(`invalid argument ${name}: expected an object`);
  return v as Record<string, unknown>;
}

export function requireParams(params: unknown[], min: number, max: number, method: string): void {
  if (params.length < min || params.length > max) throw invalidParams(`${method} takes ${min === max ? min : `${min} to ${max}`} parameter${max === 1 ? '' : 's'}, got ${params.length}`);
}
