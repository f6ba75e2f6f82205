/**
 * The node's libp2p identity (an Ed25519 key; the peer id derives from it). It must survive
 * restarts: static peers find a validator again by its peer id.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

/** A new key, protobuf-encoded (what NetworkCoreOptions.privateKey takes). */
export async function createNetworkKey(): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'));
}

export function peerIdOfKey(key: Uint8Array): string {
  return peerIdFromPrivateKey(privateKeyFromProtobuf(key)).toString();
}

/** Reads `file` (hex), or creates it with mode 0600 when missing. */
export async function loadOrCreateNetworkKey(file: string): Promise<Uint8Array> {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (!/^(0x)?[0-9a-f]+$/i.test(text)) throw new Error(`${file}: expected a hex-encoded libp2p private key`);
    const key = Uint8Array.from(Buffer.from(text.replace(/^0x/, ''), 'hex'));
    try {
      privateKeyFromProtobuf(key);
    } catch (err) {
      throw new Error(`${file}: not a libp2p private key (${(err as Error).message})`);
    }
    return key;
  }
  const key = await createNetworkKey();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, Buffer.from(key).toString('hex') + '\n', { mode: 0o600 });
  return key;
}
