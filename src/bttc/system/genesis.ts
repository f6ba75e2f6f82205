/**
 * Genesis accounts of the system contracts: their runtime bytecode at 0x…1000 and 0x…1001, and span 0
 * written straight into the validator-set contract's storage (genesis runs no code, so a constructor
 * could not do it). The slot arithmetic follows Solidity's layout for BttcValidatorSet.sol:
 * mapping value at keccak256(key ‖ slot), dynamic array data at keccak256(length slot), structs packed
 * field by field from their base slot.
 */
import { keccak256 } from '../../crypto/keccak.ts';
import { concatBytes, hexToBytes, uintToBytes } from '../../util/bytes.ts';
import type { MinimalVal, SpanRecord } from './types.ts';

export interface SystemGenesisAccount {
  balance?: bigint;
  code?: Uint8Array;
  storage?: [Uint8Array, Uint8Array][];
}

const SLOT_SPANS = 1n;
const SLOT_VALIDATORS = 2n;
const SLOT_PRODUCERS = 3n;
const SLOT_SPAN_NUMBERS = 4n;

function u256(v: bigint): Uint8Array {
  return uintToBytes(v, 32);
}

function mappingSlot(key: bigint, slot: bigint): bigint {
  return BigInt('0x' + Buffer.from(keccak256(concatBytes(u256(key), u256(slot)))).toString('hex'));
}

function arrayDataSlot(lengthSlot: bigint): bigint {
  return BigInt('0x' + Buffer.from(keccak256(u256(lengthSlot))).toString('hex'));
}

/** Storage entries (slot, value) of span 0, zero values omitted. */
export function span0Storage(span: SpanRecord): [Uint8Array, Uint8Array][] {
  if (span.id !== 0) throw new Error(`genesis span must have id 0, got ${span.id}`);
  const out: [bigint, bigint][] = [];
  const spanBase = mappingSlot(0n, SLOT_SPANS);
  out.push([spanBase + 1n, BigInt(span.startBlock)], [spanBase + 2n, BigInt(span.endBlock)]);
  const writeList = (list: readonly MinimalVal[], slot: bigint) => {
    const lengthSlot = mappingSlot(0n, slot);
    out.push([lengthSlot, BigInt(list.length)]);
    const data = arrayDataSlot(lengthSlot);
    list.forEach((v, i) => {
      const base = data + BigInt(i) * 3n;
      if (v.signer.length !== 20) throw new Error(`genesis span validator ${i}: signer must be 20 bytes`);
      out.push([base, v.id], [base + 1n, v.power], [base + 2n, BigInt('0x' + Buffer.from(v.signer).toString('hex'))]);
    });
  };
  writeList(span.validators, SLOT_VALIDATORS);
  writeList(span.producers, SLOT_PRODUCERS);
  out.push([SLOT_SPAN_NUMBERS, 1n]); // spanNumbers = [0]
  const mod = 1n << 256n;
  return out.filter(([, v]) => v !== 0n).map(([k, v]) => [u256(k % mod), u256(v)]);
}

export interface SystemContractsCode {
  validatorSet: string | Uint8Array;
  stateReceiver: string | Uint8Array;
}

/** Alloc entries for the two system contracts. */
export function systemContractsAlloc(addresses: { validatorSet: string; stateReceiver: string }, code: SystemContractsCode, span0: SpanRecord): [Uint8Array, SystemGenesisAccount][] {
  const bytes = (c: string | Uint8Array) => (typeof c === 'string' ? hexToBytes(c) : c);
  return [
    [hexToBytes(addresses.validatorSet), { code: bytes(code.validatorSet), storage: span0Storage(span0) }],
    [hexToBytes(addresses.stateReceiver), { code: bytes(code.stateReceiver) }],
  ];
}

/** Runtime bytecode from the solc build (src/contracts/build.ts, compiled on first use). */
export async function loadSystemContractsCode(): Promise<SystemContractsCode> {
  const { getArtifact } = await import('../../contracts/build.ts');
  return { validatorSet: getArtifact('BttcValidatorSet').deployedBytecode, stateReceiver: getArtifact('BttcStateReceiver').deployedBytecode };
}
