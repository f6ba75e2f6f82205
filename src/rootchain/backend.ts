/** The embedded root chain as an EthBackend for the shared JSON-RPC server (src/rpc). */
import type { EthBackend } from '../rpc/interface.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import type { RootChainNode } from './node.ts';

export const ROOT_CHAIN_GAS_PRICE = 1_000_000_000n;

export function rootChainBackend(node: RootChainNode): EthBackend {
  return {
    chainId: BigInt(node.info.chainId),
    clientVersion: 'bttc-node-rootchain/0.1',
    chain: node.store,
    executor: node.executor,
    txSink: {
      sendRawTransaction: async (raw) => hexToBytes(await node.sendRawTransaction(raw)),
      pendingNonce: async (address) => node.pendingNonce(bytesToHex(address)) ?? undefined,
    },
    gasPrice: () => ROOT_CHAIN_GAS_PRICE,
  };
}
