import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { RootChainNode } from '../../src/rootchain/node.ts';
import { devnetGenesis, devKey, parseGenesis, GenesisError } from '../../src/rootchain/genesis.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { signLegacyTx } from '../../src/evm/txSign.ts';
import { checkpointSignBytes, signCheckpoint, type Checkpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata } from '../../src/protocol/checkpoint/calldata.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { keyFromSecret } from '../helpers/keys.ts';
import { tempDir } from '../helpers/tmp.ts';

async function call(node: RootChainNode, name: string, to: string, fn: string, args: unknown[] = []) {
  const iface = new Interface(loadArtifacts()[name]!.abi as never);
  const h = node.headHeader();
  const res = await node.executor.call({ to: hexToBytes(to), data: hexToBytes(iface.encodeFunctionData(fn, args)) }, { stateRoot: h.stateRoot, number: h.number, time: h.time, gasLimit: h.gasLimit });
  assert.ok(res.success, `${name}.${fn} failed: ${res.error}`);
  return iface.decodeFunctionResult(fn, res.returnValue);
}

describe('genesis file', () => {
  it('rejects bad input with the field named', () => {
    const { json } = devnetGenesis({ validators: 2 });
    assert.throws(
      () => parseGenesis({ ...json, chainId: 'x' }),
      (e: Error) => e instanceof GenesisError && /genesis\.chainId/.test(e.message),
    );
    const vals = json.validators as Record<string, unknown>[];
    assert.throws(() => parseGenesis({ ...json, validators: [{ ...vals[0], stake: '1' }] }), /validators\[0\]\.stake 1 is below staking\.minDeposit/);
    assert.throws(() => parseGenesis({ ...json, validators: [vals[0], vals[0]] }), /appears twice/);
    assert.throws(() => parseGenesis({ ...json, validators: [{ ...vals[0], signerPubkey: '0x1234' }] }), /validators\[0\]\.signerPubkey/);
    assert.throws(() => parseGenesis({ ...json, deployerKey: '0x12' }), /deployerKey/);
  });
});

describe('RootChainNode (embedded root chain, no RPC)', () => {
  it('deploys and stakes at genesis, accepts a 2/3+1 checkpoint, restarts with all state', async (t) => {
    const dir = tempDir(t, 'rootchain');
    const { json, signerKeys } = devnetGenesis({ validators: 4, borChainId: 1337199 });
    let node = await RootChainNode.open({ dataDir: dir, genesisJson: json, blockTimeMs: 0 });
    assert.equal(statSync(join(dir, 'genesis.json')).mode & 0o777, 0o600, 'the stored genesis holds the deployer key: owner-only');
    const c = node.info.contracts;
    assert.equal((await call(node, 'StakeManager', c.stakeManager, 'currentValidatorSetSize'))[0], 4n);
    assert.equal((await call(node, 'StakeManager', c.stakeManager, 'rootChain'))[0].toLowerCase(), c.rootChain);
    assert.equal((await call(node, 'StakeManager', c.stakeManager, 'slashingManager'))[0].toLowerCase(), c.slashingManager, 'the planned SlashingManager is the one set');
    assert.equal((await call(node, 'SlashingManager', c.slashingManager, 'stakeManager'))[0].toLowerCase(), c.stakeManager);
    assert.equal((await call(node, 'RootChain', c.rootChain, 'CHAINID'))[0], 1337199n);
    const signers = signerKeys.map((k) => ({ key: k, addr: keyFromSecret(k).addressHex }));
    assert.equal((await call(node, 'StakeManager', c.stakeManager, 'signerToValidator', [signers[2]!.addr]))[0], 3n);

    // A checkpoint signed by 3 of 4 (2/3+1), sent from a funded signer's account.
    const cp: Checkpoint = { proposer: signers[0]!.addr, start: 0, end: 31, rootHash: '0x' + '77'.repeat(32), accountRootHash: '0x' + '00'.repeat(32), borChainId: 1337199, epoch: 1 };
    const calldata = submitCheckpointCalldata(
      checkpointSignBytes(cp),
      signers.slice(0, 3).map((s) => ({ signer: s.addr, signature: signCheckpoint(cp, s.key) })),
    );
    const raw = signLegacyTx({ nonce: 0, gasPrice: 1, gasLimit: 2_000_000, to: hexToBytes(c.rootChain), data: calldata }, json.chainId as number, signers[0]!.key);
    const sealed = node.nextBlock();
    const txHash = await node.sendRawTransaction(raw);
    await sealed;
    const loc = await node.store.getTxLocation(hexToBytes(txHash));
    assert.ok(loc, 'transaction mined');
    const logs = await node.store.getLogs({ fromBlock: 0n, toBlock: node.store.head().number, addresses: [hexToBytes(c.rootChain)] });
    assert.equal(logs.length, 1);
    const ev = new Interface(loadArtifacts().RootChain!.abi as never).parseLog({ topics: logs[0]!.topics.map(bytesToHex), data: bytesToHex(logs[0]!.data) })!;
    assert.equal(ev.name, 'NewHeaderBlock');
    assert.equal(ev.args.headerBlockId, 10000n);
    const head = node.store.head().number;
    await node.close();

    // Restart without the genesis: everything is still there.
    node = await RootChainNode.open({ dataDir: dir, blockTimeMs: 0 });
    assert.equal(node.store.head().number, head);
    assert.equal((await call(node, 'RootChain', c.rootChain, 'currentHeaderBlock'))[0], 10000n);
    assert.equal((await call(node, 'RootChain', c.rootChain, 'getLastChildBlock'))[0], 31n);
    const info = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as { deployerKey: string };
    assert.equal(info.deployerKey, bytesToHex(devKey('deployer')));
    await node.close();
    // A different genesis for the same directory is refused.
    await assert.rejects(RootChainNode.open({ dataDir: dir, genesisJson: { ...json, chainId: 9 }, blockTimeMs: 0 }), /another genesis/);
  });
});
