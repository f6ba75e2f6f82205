/**
 * The geth genesis format as BTTC's Bttc client reads it (`core.Genesis` with Bor's `config.bor`),
 * read in full and checked field by field: BTTC's mainnet and Donau genesis files (config/genesis/)
 * are in this format, so a node that reads them exactly computes BTTC's genesis hash.
 *
 * Fields: `config` (chainId, the fork blocks, `bor` with period, producerDelay, sprint,
 * backupMultiplier, validatorContract, stateReceiverContract, `blockAlloc` — code/balance/storage
 * replacements applied at a block — and `overrideStateSyncRecords` — how many state-sync records a
 * block commits), `alloc` (balance, nonce, code, storage per account), nonce, timestamp, extraData,
 * gasLimit, difficulty, mixHash, coinbase, number, gasUsed, parentHash. Quantities are hex
 * (`0x…`) or decimal, as geth's `math.HexOrDecimal256` takes them.
 */
import { hexToBytes } from '../../util/bytes.ts';

export class GethGenesisError extends Error {
  override name = 'GethGenesisError';
}

export interface GenesisAllocAccount {
  balance: bigint;
  nonce: bigint;
  code: Uint8Array;
  /** 32-byte slot → 32-byte value, zero values dropped (geth stores none). */
  storage: Map<string, Uint8Array>;
}

/** Lower-case 0x address → account. */
export type GenesisAlloc = Map<string, GenesisAllocAccount>;

/** A Bor parameter that is one number, or a schedule `{"fromBlock": value}` (later Bor configs). */
export type BorSchedule = { block: bigint; value: number }[];

export interface BorGenesisConfig {
  period: BorSchedule;
  producerDelay: BorSchedule;
  sprint: BorSchedule;
  backupMultiplier: BorSchedule;
  validatorContract: string;
  stateReceiverContract: string;
  /** Block number → accounts whose code, balance and storage are replaced at that block. */
  blockAlloc: Map<bigint, GenesisAlloc>;
  /** Block number → how many state-sync records that block commits (instead of all that are due). */
  overrideStateSyncRecords: Map<bigint, number>;
}

export interface GethGenesis {
  chainId: bigint;
  /** Fork name → activation block, as the config names them (homesteadBlock → "homestead"). */
  forks: Map<string, bigint>;
  bor: BorGenesisConfig | null;
  alloc: GenesisAlloc;
  nonce: Uint8Array;
  timestamp: bigint;
  extraData: Uint8Array;
  gasLimit: bigint;
  difficulty: bigint;
  mixHash: Uint8Array;
  coinbase: Uint8Array;
  number: bigint;
  gasUsed: bigint;
  parentHash: Uint8Array;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }

  fail(field: string, expected: string, got: unknown): never {
    const shown = typeof got === 'string' && got.length > 60 ? `${got.slice(0, 57)}...` : JSON.stringify(got);
    throw new GethGenesisError(`${this.source}: ${field}: expected ${expected}, got ${shown}`);
  }

  /** A HexOrDecimal quantity; absent → `dflt`. */
  quantity(v: unknown, field: string, dflt?: bigint): bigint {
    if (v === undefined || v === null || v === '') {
      if (dflt !== undefined) return dflt;
      return this.fail(field, 'a quantity', v);
    }
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    if (typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v)) return BigInt(v);
    if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
    return this.fail(field, 'a non-negative quantity (0x-hex or decimal)', v);
  }

  /** 0x-hex bytes of an exact length (or any length when `len` is undefined); '' is empty. */
  bytes(v: unknown, field: string, len?: number, dflt?: Uint8Array): Uint8Array {
    if ((v === undefined || v === null) && dflt) return dflt;
    if (typeof v !== 'string') return this.fail(field, len ? `${len} bytes of 0x-hex` : '0x-hex bytes', v);
    const hex = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v;
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return this.fail(field, '0x-hex bytes', v);
    const b = hexToBytes(`0x${hex}`);
    if (len !== undefined && b.length !== len) return this.fail(field, `${len} bytes`, v);
    return b;
  }

  address(v: unknown, field: string): string {
    return `0x${Buffer.from(this.bytes(v, field, 20)).toString('hex')}`;
  }

  alloc(v: unknown, field: string): GenesisAlloc {
    if (!isObject(v)) return this.fail(field, 'an object of address → account', v);
    const out: GenesisAlloc = new Map();
    for (const [addr, acc] of Object.entries(v)) {
      const f = `${field}.${addr}`;
      const key = this.address(addr, `${field} key`);
      if (out.has(key)) this.fail(f, 'each address once (case-insensitive)', addr);
      if (!isObject(acc)) this.fail(f, 'an account object', acc);
      for (const k of Object.keys(acc)) if (!['balance', 'nonce', 'code', 'storage', 'secretKey'].includes(k)) this.fail(`${f}.${k}`, 'one of balance, nonce, code, storage', k);
      const storage = new Map<string, Uint8Array>();
      if (acc.storage !== undefined) {
        if (!isObject(acc.storage)) this.fail(`${f}.storage`, 'an object of slot → value', acc.storage);
        for (const [slot, val] of Object.entries(acc.storage)) {
          const s = this.bytes(slot.length < 66 && slot.startsWith('0x') ? `0x${slot.slice(2).padStart(64, '0')}` : slot, `${f}.storage key`, 32);
          const value = this.bytes(typeof val === 'string' && val.startsWith('0x') ? `0x${val.slice(2).padStart(64, '0')}` : val, `${f}.storage.${slot}`, 32);
          if (value.some((x) => x !== 0)) storage.set(`0x${Buffer.from(s).toString('hex')}`, value);
        }
      }
      out.set(key, {
        balance: this.quantity(acc.balance, `${f}.balance`, 0n),
        nonce: this.quantity(acc.nonce, `${f}.nonce`, 0n),
        code: acc.code === undefined ? new Uint8Array(0) : this.bytes(acc.code, `${f}.code`),
        storage,
      });
    }
    return out;
  }

  schedule(v: unknown, field: string): BorSchedule {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v <= 0) this.fail(field, 'a positive integer', v);
      return [{ block: 0n, value: v }];
    }
    if (!isObject(v) || Object.keys(v).length === 0) return this.fail(field, 'a positive integer or {"block": value}', v);
    const out = Object.entries(v).map(([b, x]) => {
      if (!/^\d+$/.test(b)) this.fail(`${field} key`, 'a block number', b);
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) this.fail(`${field}.${b}`, 'a positive integer', x);
      return { block: BigInt(b), value: x as number };
    });
    out.sort((a, b) => (a.block < b.block ? -1 : 1));
    if (out[0]!.block !== 0n) this.fail(field, 'a schedule that starts at block 0', v);
    return out;
  }
}

const FORK_FIELDS = ['homestead', 'eip150', 'eip155', 'eip158', 'byzantium', 'constantinople', 'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'shanghai'];

/** Reads a geth-format genesis; every error names the source and the field. */
export function parseGethGenesis(json: unknown, source: string): GethGenesis {
  const r = new Reader(source);
  if (!isObject(json)) return r.fail('(root)', 'a JSON object', json);
  const cfg = json.config;
  if (!isObject(cfg)) return r.fail('config', 'an object', cfg);
  const chainId = r.quantity(cfg.chainId, 'config.chainId');
  const forks = new Map<string, bigint>();
  for (const name of FORK_FIELDS) if (cfg[`${name}Block`] !== undefined && cfg[`${name}Block`] !== null) forks.set(name, r.quantity(cfg[`${name}Block`], `config.${name}Block`));
  let bor: BorGenesisConfig | null = null;
  if (cfg.bor !== undefined) {
    const b = cfg.bor;
    if (!isObject(b)) return r.fail('config.bor', 'an object', b);
    const blockAlloc = new Map<bigint, GenesisAlloc>();
    if (b.blockAlloc !== undefined) {
      if (!isObject(b.blockAlloc)) r.fail('config.bor.blockAlloc', 'an object of block → alloc', b.blockAlloc);
      for (const [block, alloc] of Object.entries(b.blockAlloc as Json)) {
        if (!/^\d+$/.test(block)) r.fail('config.bor.blockAlloc key', 'a decimal block number', block);
        blockAlloc.set(BigInt(block), r.alloc(alloc, `config.bor.blockAlloc.${block}`));
      }
    }
    const override = new Map<bigint, number>();
    if (b.overrideStateSyncRecords !== undefined) {
      if (!isObject(b.overrideStateSyncRecords)) r.fail('config.bor.overrideStateSyncRecords', 'an object of block → count', b.overrideStateSyncRecords);
      for (const [block, count] of Object.entries(b.overrideStateSyncRecords as Json)) {
        if (!/^\d+$/.test(block)) r.fail('config.bor.overrideStateSyncRecords key', 'a decimal block number', block);
        if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) r.fail(`config.bor.overrideStateSyncRecords.${block}`, 'a non-negative integer', count);
        override.set(BigInt(block), count as number);
      }
    }
    bor = {
      period: r.schedule(b.period, 'config.bor.period'),
      producerDelay: r.schedule(b.producerDelay, 'config.bor.producerDelay'),
      sprint: r.schedule(b.sprint, 'config.bor.sprint'),
      backupMultiplier: r.schedule(b.backupMultiplier, 'config.bor.backupMultiplier'),
      validatorContract: r.address(b.validatorContract, 'config.bor.validatorContract'),
      stateReceiverContract: r.address(b.stateReceiverContract, 'config.bor.stateReceiverContract'),
      blockAlloc,
      overrideStateSyncRecords: override,
    };
  }
  const zero32 = new Uint8Array(32);
  return {
    chainId,
    forks,
    bor,
    alloc: r.alloc(json.alloc ?? {}, 'alloc'),
    // geth's nonce is a uint64 quantity, encoded as 8 bytes in the header.
    nonce: Buffer.from(r.quantity(json.nonce, 'nonce', 0n).toString(16).padStart(16, '0'), 'hex'),
    timestamp: r.quantity(json.timestamp, 'timestamp', 0n),
    extraData: json.extraData === undefined || json.extraData === '' ? new Uint8Array(0) : r.bytes(json.extraData, 'extraData'),
    // geth: a zero gas limit means params.GenesisGasLimit (4712388), a missing difficulty params.GenesisDifficulty (131072).
    gasLimit: r.quantity(json.gasLimit, 'gasLimit', 0n) || 4_712_388n,
    difficulty: json.difficulty === undefined || json.difficulty === null ? 131_072n : r.quantity(json.difficulty, 'difficulty'),
    mixHash: r.bytes(json.mixHash, 'mixHash', 32, zero32),
    coinbase: r.bytes(json.coinbase, 'coinbase', 20, new Uint8Array(20)),
    number: r.quantity(json.number, 'number', 0n),
    gasUsed: r.quantity(json.gasUsed, 'gasUsed', 0n),
    parentHash: r.bytes(json.parentHash, 'parentHash', 32, zero32),
  };
}

/** The Bor parameter in force at `block`. */
export function borValueAt(s: BorSchedule, block: bigint): number {
  let v = s[0]!.value;
  for (const e of s) if (e.block <= block) v = e.value;
  return v;
}
