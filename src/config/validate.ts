/**
 * A small declarative validator: each field names its type and range, and every failure names the
 * file, the dotted field path and what was expected. Kept in-house because presets are plain JSON
 * and the errors must read well to an operator editing a file by hand.
 */

import { fromTronAddress } from '../crypto/address.ts';
import { bytesToHex } from '../util/bytes.ts';

export class ConfigError extends Error {
  readonly source: string;
  readonly field: string;
  constructor(source: string, field: string, expected: string, got: unknown) {
    super(`${source}: ${field}: expected ${expected}, got ${describe(got)}`);
    this.name = 'ConfigError';
    this.source = source;
    this.field = field;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? String(v);
}

export type FieldSpec =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'number'; min?: number; max?: number }
  | { type: 'bigint'; min?: bigint }
  | { type: 'string'; pattern?: RegExp; describe?: string }
  | { type: 'address'; nullable?: boolean }
  | { type: 'url'; nullable?: boolean }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'object'; fields: Record<string, FieldSpec> }
  | { type: 'array'; of: FieldSpec; minLength?: number }
  /** Absent or null (read as null), else `of`. */
  | { type: 'optional'; of: FieldSpec };

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const TRON_ADDRESS = /^T[1-9A-HJ-NP-Za-km-z]{33}$/;

export function validate(spec: FieldSpec, value: unknown, source: string, path: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(source, path || '(root)', expected, value);
  };
  switch (spec.type) {
    case 'int': {
      const range = rangeText(spec.min, spec.max);
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`an integer${range}`);
      const n = value as number;
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail(`an integer${range}`);
      return n;
    }
    case 'number': {
      const range = rangeText(spec.min, spec.max);
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) fail(`a number${range}`);
      const x = n as number;
      if ((spec.min !== undefined && x < spec.min) || (spec.max !== undefined && x > spec.max)) fail(`a number${range}`);
      return x;
    }
    case 'bigint': {
      const text = spec.min !== undefined ? ` ≥ ${spec.min}` : '';
      let b: bigint | undefined;
      if (typeof value === 'string' && /^[0-9]+$/.test(value)) b = BigInt(value);
      else if (typeof value === 'number' && Number.isSafeInteger(value)) b = BigInt(value);
      if (b === undefined) return fail(`a whole number as a decimal string${text}`);
      if (spec.min !== undefined && b < spec.min) fail(`a whole number${text}`);
      return b;
    }
    case 'string':
      if (typeof value !== 'string' || value.length === 0) fail(spec.describe ?? 'a non-empty string');
      if (spec.pattern && !spec.pattern.test(value as string)) fail(spec.describe ?? `a string matching ${spec.pattern}`);
      return value;
    case 'address':
      if (value === null && spec.nullable) return null;
      // TRON tools and explorers show contract addresses in base58check (T…); it is the same 20 bytes.
      if (typeof value === 'string' && TRON_ADDRESS.test(value)) {
        try {
          return bytesToHex(fromTronAddress(value));
        } catch (err) {
          fail(`a TRON address with a valid checksum (${(err as Error).message})`);
        }
      }
      if (typeof value !== 'string' || !ADDRESS.test(value)) fail(`a 0x-prefixed 20-byte hex address or a TRON base58 address (T…)${spec.nullable ? ' or null' : ''}`);
      return (value as string).toLowerCase();
    case 'url':
      if (value === null && spec.nullable) return null;
      if (typeof value !== 'string' || !/^(https?|wss?):\/\/\S+$/.test(value)) fail(`an http(s) or ws(s) URL${spec.nullable ? ' or null' : ''}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') fail('true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(`one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`);
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('an object');
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        if (!(key in spec.fields)) throw new ConfigError(source, join(path, key), `no such field (known: ${Object.keys(spec.fields).join(', ')})`, obj[key]);
      }
      const out: Record<string, unknown> = {};
      for (const [key, fieldSpec] of Object.entries(spec.fields)) out[key] = validate(fieldSpec, obj[key], source, join(path, key));
      return out;
    }
    case 'optional':
      if (value === undefined || value === null) return null;
      return validate(spec.of, value, source, path);
    case 'array': {
      if (!Array.isArray(value)) fail('an array');
      const arr = value as unknown[];
      if (spec.minLength !== undefined && arr.length < spec.minLength) fail(`an array of at least ${spec.minLength} item(s)`);
      return arr.map((item, i) => validate(spec.of, item, source, `${path}[${i}]`));
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}
