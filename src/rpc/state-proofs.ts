/**
 * eth_getProof (EIP-1186) and eth_createAccessList (EIP-2930), answered by the call workers on a
 * read-only state view, so they never wait for, or delay, block import. Shapes and errors follow geth.
 */
import type { CallServiceApi } from '../evm/call/interface.ts';
import { bytesToHex } from '../util/bytes.ts';
import { invalidParams } from './errors.ts';
import { qty } from './format.ts';
import type { MethodRegistryApi } from './interface.ts';
import * as p from './params.ts';
import { callArgs, callRef, callServiceError, requireBlock, type BlockResolverDeps } from './call-backend.ts';

export interface StateProofsDeps extends BlockResolverDeps {
  calls: Pick<CallServiceApi, 'getProof' | 'createAccessList'>;
}

/**
 * A storage key as geth's getProof reads it: hex of up to 32 bytes, "0x" optional, odd length
 * allowed. Returns the 32-byte slot and the key as geth echoes it back: unchanged in form for a full
 * 32-byte hash, else as a quantity.
 */
export function storageKey(v: unknown, name: string): { slot: Uint8Array; output: string } {
  if (typeof v !== 'string') throw invalidParams(`invalid argument ${name}: expected a hex storage key, got ${JSON.stringify(v)}`);
  let h = v.startsWith('0x') || v.startsWith('0X') ? v.slice(2) : v;
  if (!/^[0-9a-fA-F]*$/.test(h)) throw invalidParams(`invalid argument ${name}: hex string invalid`);
  if (h.length > 64) throw invalidParams(`invalid argument ${name}: hex string too long, want at most 32 bytes`);
  const fullLength = h.length === 64;
  if (h.length % 2 === 1) h = '0' + h;
  const slot = new Uint8Array(32);
  slot.set(Buffer.from(h, 'hex'), 32 - h.length / 2);
  return { slot, output: fullLength ? bytesToHex(slot) : qty(BigInt('0x' + (h || '0'))) };
}

export function registerStateProofs(reg: MethodRegistryApi, deps: StateProofsDeps): void {
  reg.register('eth_getProof', async (params) => {
    p.requireParams(params, 2, 3, 'eth_getProof');
    const address = p.address(params[0], '0 (address)');
    if (!Array.isArray(params[1])) throw invalidParams('invalid argument 1 (storageKeys): expected an array of storage keys');
    const keys = params[1].map((k, i) => storageKey(k, `1 (storageKeys[${i}])`));
    const { header } = await requireBlock(deps, params[2], '2 (block)');
    try {
      const r = await deps.calls.getProof(
        header.stateRoot,
        address,
        keys.map((k) => k.slot),
      );
      return {
        address: bytesToHex(address),
        accountProof: r.accountProof.map(bytesToHex),
        balance: qty(r.balance),
        codeHash: bytesToHex(r.codeHash),
        nonce: qty(r.nonce),
        storageHash: bytesToHex(r.storageHash),
        storageProof: r.storageProof.map((s, i) => ({ key: keys[i]!.output, value: qty(s.value), proof: s.proof.map(bytesToHex) })),
      };
    } catch (e) {
      throw callServiceError(e);
    }
  });

  reg.register('eth_createAccessList', async (params) => {
    p.requireParams(params, 1, 2, 'eth_createAccessList');
    const args = callArgs(params[0]);
    const { header } = await requireBlock(deps, params[1], '1 (block)');
    try {
      const r = await deps.calls.createAccessList(args, callRef(header));
      const out: Record<string, unknown> = {
        accessList: r.accessList.map((e) => ({ address: bytesToHex(e.address), storageKeys: e.storageKeys.map(bytesToHex) })),
        gasUsed: qty(r.gasUsed),
      };
      if (r.error !== undefined) out.error = r.error;
      return out;
    } catch (e) {
      throw callServiceError(e);
    }
  });
}
