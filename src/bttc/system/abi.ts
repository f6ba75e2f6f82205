/**
 * Calldata of the system contracts' methods (selectors checked against the vectors) and the RLP
 * payloads Bor passes them: `rlp([[id, power, signer], …])` for spans and
 * `rlp([id, contract, data, txHash, logIndex, chainId])` for state syncs (chainId as Bor's string).
 */
import { RLP } from '@ethereumjs/rlp';
import { AbiCoder, Interface } from 'ethers';
import { bytesToHex, hexToBytes } from '../../util/bytes.ts';
import { bigintToMinimalBytes } from '../engine/header.ts';
import type { MinimalVal, SpanRecord, StateSyncRecord } from './types.ts';

export const validatorSetInterface = new Interface([
  'function commitSpan(uint256 newSpan, uint256 startBlock, uint256 endBlock, bytes validatorBytes, bytes producerBytes)',
  'function getBorValidators(uint256 number) view returns (address[], uint256[])',
  'function getCurrentSpan() view returns (uint256 number, uint256 startBlock, uint256 endBlock)',
  'function getSpan(uint256 span) view returns (uint256 number, uint256 startBlock, uint256 endBlock)',
  'function currentSpanNumber() view returns (uint256)',
  'event NewSpan(uint256 indexed id, uint256 indexed startBlock, uint256 indexed endBlock)',
]);

export const stateReceiverInterface = new Interface([
  'function commitState(uint256 syncTime, bytes recordBytes) returns (bool success)',
  'function lastStateId() view returns (uint256)',
  'event StateCommitted(uint256 indexed stateId, bool success)',
]);

export function encodeMinimalVals(list: readonly MinimalVal[]): Uint8Array {
  return RLP.encode(list.map((v) => [bigintToMinimalBytes(v.id), bigintToMinimalBytes(v.power), v.signer]));
}

export function commitSpanCalldata(span: SpanRecord): Uint8Array {
  return hexToBytes(validatorSetInterface.encodeFunctionData('commitSpan', [span.id, span.startBlock, span.endBlock, encodeMinimalVals(span.validators), encodeMinimalVals(span.producers)]));
}

export function encodeStateRecord(r: StateSyncRecord): Uint8Array {
  return RLP.encode([bigintToMinimalBytes(r.id), r.contract, r.data, r.txHash, bigintToMinimalBytes(r.logIndex), new TextEncoder().encode(r.chainId)]);
}

export function commitStateCalldata(r: StateSyncRecord): Uint8Array {
  return hexToBytes(stateReceiverInterface.encodeFunctionData('commitState', [r.time, encodeStateRecord(r)]));
}

export const GET_CURRENT_SPAN = hexToBytes(validatorSetInterface.encodeFunctionData('getCurrentSpan', []));
export const LAST_STATE_ID = hexToBytes(stateReceiverInterface.encodeFunctionData('lastStateId', []));

export function getBorValidatorsCalldata(number: bigint): Uint8Array {
  return hexToBytes(validatorSetInterface.encodeFunctionData('getBorValidators', [number]));
}

export function decodeCurrentSpan(ret: Uint8Array): { id: bigint; startBlock: bigint; endBlock: bigint } {
  const [id, startBlock, endBlock] = AbiCoder.defaultAbiCoder().decode(['uint256', 'uint256', 'uint256'], ret) as unknown as [bigint, bigint, bigint];
  return { id, startBlock, endBlock };
}

export function decodeUint(ret: Uint8Array): bigint {
  return (AbiCoder.defaultAbiCoder().decode(['uint256'], ret) as unknown as [bigint])[0];
}

export function decodeBorValidators(ret: Uint8Array): { address: Uint8Array; power: bigint }[] {
  const [addrs, powers] = AbiCoder.defaultAbiCoder().decode(['address[]', 'uint256[]'], ret) as unknown as [string[], bigint[]];
  return addrs.map((a, i) => ({ address: hexToBytes(a.toLowerCase()), power: powers[i]! }));
}

export function selectorOf(iface: Interface, name: string): string {
  return iface.getFunction(name)!.selector;
}

export { bytesToHex };
