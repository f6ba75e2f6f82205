import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { recover } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';

/** Signer address of a 65-byte r‖s‖v (hex) signature over `digest`. */
export function recoverAddress(digest: Uint8Array, sigHex: string): string {
  const sig = hexToBytes(sigHex);
  return bytesToHex(addressFromPublicKey(recover(sig.subarray(0, 64), sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!, digest)));
}
