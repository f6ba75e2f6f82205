/**
 * What the devnet status says about its root chains when it runs more than one: per chain its head
 * and the checkpoints its RootChain holds, and for each chain after the first the sync records the
 * staking chain's (the first chain's) StakeManager took. Read straight from the chains over
 * JSON-RPC, so it shows what landed, whatever Delivery believes.
 */
import { Interface } from 'ethers';
import { JsonRpcClient } from '../loadtest/rpc.ts';
import type { RootInfo } from './setup.ts';

export interface RootChainSnapshot {
  /** Delivery's id (Ethereum 2, BSC 3) and name. */
  id: number;
  name: string;
  pid: number | null;
  rpcUrl: string;
  head: number | null;
  /** Checkpoints on its RootChain (currentHeaderBlock / 10000); null when the read failed. */
  checkpoints: number | null;
  /** Its checkpoints synced to the staking chain (getCurrentSyncedCheckpoint); null for the staking chain itself or a failed read. */
  synced: number | null;
  /** Whether this is the staking chain (the first). */
  staking: boolean;
}

const abi = new Interface(['function currentHeaderBlock() view returns (uint256)', 'function getCurrentSyncedCheckpoint(uint256 chainId) view returns (uint256)']);

async function call(rpc: JsonRpcClient, to: string, fn: string, args: unknown[]): Promise<bigint> {
  const out = await rpc.call<string>('eth_call', [{ to, data: abi.encodeFunctionData(fn, args) }, 'latest']);
  return abi.decodeFunctionResult(fn, out)[0] as bigint;
}

/** `chains[0]` is the staking chain. Each read that fails leaves its field null: the status never waits on a stuck chain for long. */
export async function readRootChains(chains: { id: number; name: string; pid: number | null; info: RootInfo }[]): Promise<RootChainSnapshot[]> {
  const staking = chains[0];
  if (!staking) return [];
  const stakingRpc = new JsonRpcClient(staking.info.rpcUrl, { timeoutMs: 2000 });
  return Promise.all(
    chains.map(async (c, k) => {
      const rpc = k === 0 ? stakingRpc : new JsonRpcClient(c.info.rpcUrl, { timeoutMs: 2000 });
      const [head, header, synced] = await Promise.all([
        rpc.call<string>('eth_blockNumber').then(
          (h) => Number(BigInt(h)),
          () => null,
        ),
        call(rpc, c.info.contracts.rootChain, 'currentHeaderBlock', []).then(
          (v) => Number(v / 10000n),
          () => null,
        ),
        k === 0 ? Promise.resolve(null) : call(stakingRpc, staking.info.contracts.stakeManager, 'getCurrentSyncedCheckpoint', [c.id]).then(Number, () => null),
      ]);
      return { id: c.id, name: c.name, pid: c.pid, rpcUrl: c.info.rpcUrl, head, checkpoints: header, synced, staking: k === 0 };
    }),
  );
}
