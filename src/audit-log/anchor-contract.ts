/**
 * The AuditAnchor contract (src/contracts/system/AuditAnchor.sol): its fixed devnet address, ABI
 * pieces and calldata. On the devnet it is in the Bttc genesis (`withAuditAnchor`), like the
 * validator-set and state-receiver system contracts; on a network whose genesis lacks it, an operator
 * deploys it as an ordinary contract and names it in `node.auditLog.anchorContract`.
 *
 *   function anchor(uint256 batch, bytes32 digest)            selector keccak("anchor(uint256,bytes32)")
 *   function digests(address node, uint256 batch) view returns (bytes32)
 *   function anchorCount(address node) view returns (uint256)
 *   event Anchored(address indexed node, uint256 indexed batch, bytes32 digest)
 */
import { keccak256 } from '../crypto/keccak.ts';
import type { DevGenesis } from '../bttc/genesis/bttc-genesis.ts';
import { bytesToHex, hexToBytes, uintToBytes } from '../util/bytes.ts';

/** Where the devnet genesis puts AuditAnchor ("a0d" for audit, clear of BTTC's 0x…1000/1001/1010). */
export const AUDIT_ANCHOR_ADDRESS = '0x0000000000000000000000000000000000001a0d';

const enc = new TextEncoder();
export const ANCHOR_SELECTOR = bytesToHex(keccak256(enc.encode('anchor(uint256,bytes32)')).subarray(0, 4));
export const DIGESTS_SELECTOR = bytesToHex(keccak256(enc.encode('digests(address,uint256)')).subarray(0, 4));
export const ANCHORED_TOPIC = bytesToHex(keccak256(enc.encode('Anchored(address,uint256,bytes32)')));
/** Gas an anchor takes is ~70k (two fresh storage slots and a log); the limit leaves room. */
export const ANCHOR_GAS_LIMIT = 120_000n;

/** `anchor(batch, digest)` calldata, lower-case 0x hex. */
export function anchorCalldata(batch: number, digest: string): string {
  return ANCHOR_SELECTOR + bytesToHex(uintToBytes(BigInt(batch), 32)).slice(2) + digest.slice(2).toLowerCase();
}

/** A devnet genesis with AuditAnchor's runtime code at AUDIT_ANCHOR_ADDRESS (no storage: it starts empty). */
export function withAuditAnchor(g: DevGenesis, runtimeCode: string): DevGenesis {
  const addr = hexToBytes(AUDIT_ANCHOR_ADDRESS);
  if ((g.alloc ?? []).some(([a]) => bytesToHex(a) === AUDIT_ANCHOR_ADDRESS)) return g;
  return { ...g, alloc: [...(g.alloc ?? []), [addr, { balance: 0n, code: hexToBytes(runtimeCode) }]] };
}
