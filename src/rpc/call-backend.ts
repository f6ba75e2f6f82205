/**
 * What the call-worker RPC methods (state-proofs.ts, debug.ts) share with the eth namespace: the
 * call-object and block-tag parsing, geth's error mapping for call-service errors, and the adapter
 * that puts the call service behind EthBackend.executor's call/estimateGas.
 */
import type { ChainStoreApi } from '../chain/interface.ts';
import type { CallServiceApi } from '../evm/call/interface.ts';
import { unpackRevert } from '../evm/call/tracers.ts';
import { CallRevertedError, CallTimeoutError, type CallBlockRef, type CallRequest, type HeaderFields } from '../evm/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { EXECUTION_REVERTED, RpcError, SERVER_ERROR, invalidParams } from './errors.ts';
import * as p from './params.ts';
import { blockResolver } from './blocks.ts';

/** eth_call's transaction object (from, to, gas, gasPrice, value, data|input), as eth.ts reads it. */
export function callArgs(v: unknown, name = '0 (transaction)'): CallRequest {
  const o = p.object(v, name);
  const out: CallRequest = {};
  if (o.from !== undefined && o.from !== null) out.from = p.address(o.from, 'from');
  if (o.to !== undefined && o.to !== null) out.to = p.address(o.to, 'to');
  const input = o.input ?? o.data;
  if (o.input !== undefined && o.data !== undefined && o.input !== o.data) throw invalidParams('both "data" and "input" are set and differ');
  if (input !== undefined && input !== null) out.data = p.data(input, 'data');
  if (o.value !== undefined && o.value !== null) out.value = p.quantity(o.value, 'value');
  if (o.gas !== undefined && o.gas !== null) out.gasLimit = p.quantity(o.gas, 'gas');
  if (o.gasPrice !== undefined && o.gasPrice !== null) out.gasPrice = p.quantity(o.gasPrice, 'gasPrice');
  return out;
}

export interface BlockResolverDeps {
  chain: ChainStoreApi;
  /** Number of the last checkpointed block ("finalized"/"safe"). */
  finalizedNumber?: () => Promise<bigint | undefined> | bigint | undefined;
}

export interface ResolvedBlock {
  hash: Uint8Array;
  header: HeaderFields;
}

/** A block tag / number / EIP-1898 object → the stored block, or null when there is none (the eth namespace's resolver). */
export function resolveBlock(deps: BlockResolverDeps, tagArg: unknown, name: string): Promise<ResolvedBlock | null> {
  return blockResolver(deps).resolve(tagArg, name);
}

/** As resolveBlock, but a missing block is geth's -32000 "header not found". */
export async function requireBlock(deps: BlockResolverDeps, tagArg: unknown, name: string): Promise<ResolvedBlock> {
  const r = await resolveBlock(deps, tagArg, name);
  if (!r) throw new RpcError(SERVER_ERROR, 'header not found');
  return r;
}

export function callRef(h: HeaderFields): CallBlockRef {
  return { stateRoot: h.stateRoot, number: h.number, time: h.time, gasLimit: h.gasLimit, coinbase: h.coinbase, difficulty: h.difficulty };
}

/** "execution reverted: <reason>" when the data carries Error(string) or Panic(uint256), as geth. */
export function revertText(data: Uint8Array): string {
  const reason = unpackRevert(data);
  return reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`;
}

/** geth's codes for what the call service throws: revert → 3 with the data, anything else (timeout included) → -32000. */
export function callServiceError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof CallRevertedError) return new RpcError(EXECUTION_REVERTED, revertText(e.data), bytesToHex(e.data));
  return new RpcError(SERVER_ERROR, (e as Error)?.message ?? String(e));
}

/**
 * The call service as EthBackend.executor's `call`/`estimateGas`: same results, and a timeout is
 * geth's -32000 "execution aborted (timeout = 5s)" rather than an internal error.
 */
export function rpcCallBackend(calls: Pick<CallServiceApi, 'call' | 'estimateGas'>): Pick<CallServiceApi, 'call' | 'estimateGas'> {
  return {
    call: (req, ref) =>
      calls.call(req, ref).catch((e: unknown) => {
        throw e instanceof CallTimeoutError ? new RpcError(SERVER_ERROR, e.message) : e;
      }),
    estimateGas: (req, ref) => calls.estimateGas(req, ref),
  };
}
