/**
 * The stock EthereumJS path, as a reference implementation: a default-crypto Common, a plain
 * MerkleStateManager (no caches) and vm.buildBlock/addTransaction with transactions decoded the usual
 * way (their senders recovered by EthereumJS itself). Tests compare the executor's roots with it.
 */
import { createBlock } from '@ethereumjs/block';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createTxFromRLP } from '@ethereumjs/tx';
import { Account, Address } from '@ethereumjs/util';
import { buildBlock, createVM, type VM } from '@ethereumjs/vm';
import { createStockCommon } from '../../src/evm/common.ts';
import type { GenesisSpec } from '../../src/evm/interface.ts';

export async function stockGenesis(chainId: number, spec: GenesisSpec): Promise<{ vm: VM; stateRoot: Uint8Array }> {
  const common = createStockCommon({ chainId });
  const sm = new MerkleStateManager({ common });
  for (const [a, acc] of spec.alloc) {
    const address = new Address(a);
    await sm.putAccount(address, new Account(acc.nonce ?? 0n, acc.balance ?? 0n));
    if (acc.code?.length) await sm.putCode(address, acc.code);
    for (const [slot, value] of acc.storage ?? []) if (value.some((b) => b !== 0)) await sm.putStorage(address, slot, value);
  }
  const vm = await createVM({ common, stateManager: sm });
  return { vm, stateRoot: await sm.getStateRoot() };
}

export interface StockBlockResult {
  stateRoot: Uint8Array;
  txRoot: Uint8Array;
  receiptRoot: Uint8Array;
  bloom: Uint8Array;
  gasUsed: bigint;
}

export async function stockBuild(
  vm: VM,
  parent: { number: bigint; gasLimit: bigint; stateRoot: Uint8Array; time: bigint },
  txs: Uint8Array[],
  author: Uint8Array,
  time: bigint,
): Promise<StockBlockResult> {
  const common = vm.common;
  const parentBlock = createBlock(
    { header: { number: parent.number, gasLimit: parent.gasLimit, stateRoot: parent.stateRoot, timestamp: parent.time } },
    { common, skipConsensusFormatValidation: true },
  );
  const builder = await buildBlock(vm, {
    parentBlock,
    headerData: { coinbase: new Address(author), timestamp: time, gasLimit: parent.gasLimit },
    blockOpts: { putBlockIntoBlockchain: false, skipConsensusFormatValidation: true },
  });
  for (const raw of txs) await builder.addTransaction(createTxFromRLP(raw, { common }), { skipHardForkValidation: true });
  const { block } = await builder.build();
  const h = block.header;
  return { stateRoot: h.stateRoot, txRoot: h.transactionsTrie, receiptRoot: h.receiptTrie, bloom: h.logsBloom, gasUsed: h.gasUsed };
}
