/** TRON client, offline: no TRON node is reachable here, so the HTTP layer is answered by canned JSON. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { TronRootChainClient, tronLogsFromTxInfos, tronReceipt, type TronTxInfo } from '../../src/root/tron-client.ts';
import { tronToEvmHex, evmToTronHex, evmToTronBase58 } from '../../src/root/tron-address.ts';
import { decodeRootLog, rootInterfaces } from '../../src/root/abi.ts';
import { recover } from '../../src/crypto/secp256k1.ts';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { loadConfig } from '../../src/config/load.ts';
import { CheckpointSubmitter } from '../../src/root/submitter.ts';
import { checkpointSyncSignBytes, checkpointSyncVoteHash, signCheckpointSync, type CheckpointSync } from '../../src/protocol/checkpoint/checkpoint-sync.ts';
import { submitCheckpointSyncCalldata, SUBMIT_CHECKPOINT_SYNC_SELECTOR } from '../../src/protocol/checkpoint/calldata.ts';
import { keccak256 } from '../../src/crypto/keccak.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { startFakeTronNode } from './fake-tron-node.ts';

// Mainnet TRON root addresses (protocol §10), hex form.
const TRON_ROOT_CHAIN = '418330108CFDD47544B398C15A3C252AD1D5A5566C';
const TRON_STAKE_MANAGER = '41353E4DA7C074BE2FF9E3E692EAEB1E65F0F32E10';
const TRON_STATE_SENDER = '415D8702466692A9174667821741B7E7799A0A0560';
const PK = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const HEADER = { ref_block_bytes: '1a2b', ref_block_hash: '0011223344556677', expiration: 1_700_000_060_000, timestamp: 1_700_000_000_000 };

function client(extra: Partial<ConstructorParameters<typeof TronRootChainClient>[0]> = {}) {
  return new TronRootChainClient({
    fullHost: 'http://127.0.0.1:9',
    rootChainId: 1,
    contracts: { rootChain: TronWeb.address.fromHex(TRON_ROOT_CHAIN), stakeManager: TRON_STAKE_MANAGER, stateSender: '0x' + TRON_STATE_SENDER.slice(2) },
    privateKey: PK,
    ...extra,
  });
}

/** Answers tronweb's fullNode.request from a table of canned responses. */
function stubNode(c: TronRootChainClient, answer: (path: string, body: Record<string, unknown>) => unknown): { path: string; body: Record<string, unknown> }[] {
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  (c.tronWeb.fullNode as unknown as { request: (p: string, b: Record<string, unknown>) => Promise<unknown> }).request = async (path, body) => {
    calls.push({ path, body });
    return answer(path, body);
  };
  return calls;
}

describe('TRON addresses', () => {
  it('base58, 41-hex and 0x forms agree with tronweb and the mainnet preset', () => {
    const evm = tronToEvmHex(TRON_ROOT_CHAIN);
    assert.equal(evm, '0x8330108cfdd47544b398c15a3c252ad1d5a5566c');
    const b58 = evmToTronBase58(evm);
    assert.equal(b58, TronWeb.address.fromHex(TRON_ROOT_CHAIN));
    assert.equal(tronToEvmHex(b58), evm);
    assert.equal(evmToTronHex(evm), TRON_ROOT_CHAIN.toLowerCase());
    assert.throws(() => tronToEvmHex('T123'), /stakeManager|not a TRON address/);
    assert.throws(() => tronToEvmHex(b58.slice(0, -1) + (b58.endsWith('a') ? 'b' : 'a')), /checksum|not a TRON address/);
  });

  it('the client normalises contract addresses from any form', () => {
    const c = client();
    assert.deepEqual(c.contracts, {
      rootChain: '0x8330108cfdd47544b398c15a3c252ad1d5a5566c',
      stakeManager: '0x353e4da7c074be2ff9e3e692eaeb1e65f0f32e10',
      stateSender: '0x5d8702466692a9174667821741b7e7799a0a0560',
    });
    assert.equal(c.address, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
    assert.throws(() => client({ contracts: { rootChain: 'nope', stakeManager: TRON_STAKE_MANAGER, stateSender: TRON_STATE_SENDER } }), /rootChain: "nope"/);
  });

  it('the StakingInfo address (BTTC mainnet TRON, from its Delivery genesis) is normalised too', () => {
    const TRON_STAKING_INFO = '4120078DF1672790B2963E8C4E5E527DD1225C3430';
    const base = { rootChain: TRON_ROOT_CHAIN, stakeManager: TRON_STAKE_MANAGER, stateSender: TRON_STATE_SENDER };
    const c = client({ contracts: { ...base, stakingInfo: TronWeb.address.fromHex(TRON_STAKING_INFO) } });
    assert.equal(c.contracts.stakingInfo, '0x20078df1672790b2963e8c4e5e527dd1225c3430');
    assert.equal(c.contracts.stakingInfo, loadConfig('mainnet').rootChains.find((r) => r.kind === 'tron')!.stakingInfo, 'the mainnet preset names it');
    assert.throws(() => client({ contracts: { ...base, stakingInfo: 'nope' } }), /stakingInfo: "nope"/);
  });
});

describe('TRON checkpoint transaction (built and signed offline)', () => {
  it('carries the calldata to the RootChain from our key, txID = sha256(raw_data), signature recovers to us', async () => {
    const c = client({ maxFeeLimitSun: 500_000_000n });
    const calldata = hexToBytes('0x4e43e495' + 'ab'.repeat(96));
    const tx = await c.buildCheckpointTx(calldata, 10_000_000_000n, HEADER);
    const value = tx.raw_data.contract[0]!.parameter.value;
    assert.equal(value.data, bytesToHex(calldata).slice(2));
    assert.equal(value.contract_address, TRON_ROOT_CHAIN.toLowerCase());
    assert.equal(value.owner_address, '41' + '2c7536e3605d9c16a7a3d7b1898e529396a65c23');
    assert.equal(tx.raw_data.fee_limit, 500_000_000, 'fee limit capped');
    assert.equal(tx.raw_data.ref_block_bytes, HEADER.ref_block_bytes);
    assert.equal(tx.txID, createHash('sha256').update(Buffer.from(tx.raw_data_hex, 'hex')).digest('hex'));
    // The protobuf carries the calldata bytes verbatim.
    assert.ok(tx.raw_data_hex.includes(bytesToHex(calldata).slice(2)));
    const signed = await c.signTx(tx);
    const sig = hexToBytes(signed.signature![0]!);
    assert.equal(sig.length, 65);
    const recid = sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!;
    const pub = recover(sig.subarray(0, 64), recid, hexToBytes(tx.txID));
    assert.equal(bytesToHex(addressFromPublicKey(pub)), c.address);
  });

  it('sendCheckpoint broadcasts the signed transaction and reports its id', async () => {
    const c = client();
    const calls = stubNode(c, (path) => {
      if (path === 'wallet/getnowblock' || path === 'wallet/getblock')
        return { blockID: '0000000000001a2b0011223344556677' + '00'.repeat(8), block_header: { raw_data: { number: 6699, timestamp: 1_700_000_000_000 } } };
      if (path === 'wallet/broadcasttransaction') return { result: true, txid: 'x' };
      throw new Error(`unexpected ${path}`);
    });
    const out = await c.sendCheckpoint(hexToBytes('0x4e43e495'), { gasLimit: 1_000_000n, gasPrice: 420n });
    const bc = calls.find((x) => x.path === 'wallet/broadcasttransaction')!;
    assert.ok(bc, 'broadcast called');
    assert.equal('0x' + (bc.body as { txID: string }).txID, out.txHash);
    assert.equal((bc.body as { signature: string[] }).signature.length, 1);
    assert.equal((bc.body as { raw_data: { fee_limit: number } }).raw_data.fee_limit, 420_000_000);
  });

  it('a failed broadcast is an error with the decoded message', async () => {
    const c = client();
    stubNode(c, (path) => {
      if (path === 'wallet/broadcasttransaction') return { result: false, code: 'CONTRACT_VALIDATE_ERROR', message: Buffer.from('account not found').toString('hex') };
      return { blockID: '0000000000001a2b0011223344556677' + '00'.repeat(8), block_header: { raw_data: { number: 6699, timestamp: 1_700_000_000_000 } } };
    });
    await assert.rejects(c.sendCheckpoint(hexToBytes('0x4e43e495'), { gasLimit: 1n, gasPrice: 1n }), /CONTRACT_VALIDATE_ERROR account not found/);
  });
});

describe('TRON logs and receipts', () => {
  const rc = rootInterfaces().RootChain;
  const ss = rootInterfaces().StateSender;
  const nh = rc.encodeEventLog('NewHeaderBlock', ['0x2c7536e3605d9c16a7a3d7b1898e529396a65c23', 10000n, 5n, 0n, 255n, '0x' + 'cd'.repeat(32)]);
  const sync = ss.encodeEventLog('StateSynced', [3n, '0x' + '44'.repeat(20), '0xbeef']);
  const strip = (h: string) => h.slice(2);
  // TRON's transaction info: addresses without 0x (20-byte hex), topics and data without 0x.
  const infos: TronTxInfo[] = [
    { id: 'aa'.repeat(32), blockNumber: 77, log: [{ address: '9999999999999999999999999999999999999999', topics: [strip(nh.topics[0]!)], data: '' }] },
    {
      id: 'bb'.repeat(32),
      blockNumber: 77,
      receipt: { result: 'SUCCESS', energy_usage_total: 123456 },
      log: [
        { address: strip(tronToEvmHex(TRON_ROOT_CHAIN)), topics: nh.topics.map(strip), data: strip(nh.data) },
        { address: TRON_STATE_SENDER, topics: sync.topics.map(strip), data: strip(sync.data) },
      ],
    },
  ];

  it('log index counts every log of the block; both address forms are recognised; events decode', () => {
    const c = client();
    const logs = tronLogsFromTxInfos(77, infos, [c.contracts.rootChain, c.contracts.stateSender]);
    assert.deepEqual(
      logs.map((l) => l.logIndex),
      [1, 2],
    );
    const ev = decodeRootLog(logs[0]!, c.contracts, 1)!;
    assert.equal(ev.name, 'NewHeaderBlock');
    assert.equal(ev.args.headerBlockId, 10000n);
    assert.equal(ev.args.proposer, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
    assert.equal(ev.txHash, '0x' + 'bb'.repeat(32));
    assert.equal(ev.sequence, 77n * 100000n + 1n);
    const s = decodeRootLog(logs[1]!, c.contracts, 1)!;
    assert.equal(s.name, 'StateSynced');
    assert.equal(s.args.data, '0xbeef');
    assert.equal(s.sequence, (77n * 100000n + 2n) * 100n + 1n);
  });

  it('getLogs walks the blocks, getReceipt maps status and energy, constant calls decode', async () => {
    const c = client();
    const calls = stubNode(c, (path, body) => {
      if (path === 'wallet/gettransactioninfobyblocknum') return body.num === 77 ? infos : [];
      if (path === 'wallet/gettransactioninfobyid') return body.value === 'bb'.repeat(32) ? infos[1] : {};
      if (path === 'wallet/getnowblock') return { block_header: { raw_data: { number: 80 } } };
      if (path === 'wallet/triggerconstantcontract') {
        const sel = (body.data as string).slice(0, 8);
        const val = sel === rc.getFunction('currentHeaderBlock')!.selector.slice(2) ? 20000n : 511n;
        return { result: { result: true }, constant_result: [rc.getAbiCoder().encode(['uint256'], [val]).slice(2)], energy_used: 321 };
      }
      throw new Error(`unexpected ${path}`);
    });
    assert.equal(await c.blockNumber(), 80);
    const logs = await c.getLogs(76, 78, [c.contracts.rootChain, c.contracts.stakeManager, c.contracts.stateSender]);
    assert.equal(logs.length, 2);
    assert.deepEqual(
      calls.filter((x) => x.path === 'wallet/gettransactioninfobyblocknum').map((x) => x.body.num),
      [76, 77, 78],
    );
    const r = (await c.getReceipt('0x' + 'bb'.repeat(32)))!;
    assert.equal(r.status, 'success');
    assert.equal(r.gasUsed, 123456n);
    assert.equal(r.logs.length, 2);
    assert.equal(await c.getReceipt('0x' + 'cc'.repeat(32)), null);
    assert.equal(await c.currentHeaderBlock(), 20000n);
    assert.equal(await c.lastChildBlock(), 511n);
    assert.equal(await c.estimateCheckpointGas(hexToBytes('0x4e43e495')), 321n);
    const trig = calls.find((x) => x.path === 'wallet/triggerconstantcontract')!;
    assert.equal(trig.body.contract_address, TRON_ROOT_CHAIN.toLowerCase());
  });

  it('blockHash is the blockID of wallet/getblockbynum, null for a block the node does not have', async () => {
    const c = client();
    const id = (n: number) => n.toString(16).padStart(16, '0') + 'AB'.repeat(24);
    const calls = stubNode(c, (path, body) => {
      if (path !== 'wallet/getblockbynum') throw new Error(`unexpected ${path}`);
      const num = body.num as number;
      if (num > 100) return {};
      // Protobuf JSON leaves the zero number of block 0 out.
      return { blockID: id(num), block_header: { raw_data: num === 0 ? { timestamp: 1 } : { number: num, timestamp: 1 } } };
    });
    assert.equal(await c.blockHash(7), '0x' + id(7).toLowerCase());
    assert.equal(await c.blockHash(0), '0x' + id(0).toLowerCase());
    assert.equal(await c.blockHash(101), null);
    assert.deepEqual(
      calls.map((x) => x.body.num),
      [7, 0, 101],
    );
  });

  it('blockHash refuses an answer for another block or a malformed id', async () => {
    const c = client();
    stubNode(c, (_path, body) => (body.num === 5 ? { blockID: 'ab'.repeat(32), block_header: { raw_data: { number: 6 } } } : { blockID: 'xyz', block_header: { raw_data: { number: body.num } } }));
    await assert.rejects(c.blockHash(5), /getblockbynum 5: the node answered block 6/);
    await assert.rejects(c.blockHash(9), /blockID "xyz" is not 32 bytes of hex/);
  });

  it('a reverted constant call surfaces the revert reason', async () => {
    const c = client();
    const reason = rc.getAbiCoder().encode(['string'], ['2/3+1 non-majority!']).slice(2);
    stubNode(c, () => ({ result: { result: false, message: Buffer.from('REVERT opcode executed').toString('hex') }, constant_result: ['08c379a0' + reason] }));
    await assert.rejects(c.estimateCheckpointGas(hexToBytes('0x4e43e495')), /2\/3\+1 non-majority!/);
  });

  it('a reverted TRON receipt', () => {
    const r = tronReceipt({ id: 'dd'.repeat(32), blockNumber: 5, receipt: { result: 'REVERT', energy_usage_total: 9 } }, [])!;
    assert.equal(r.status, 'reverted');
  });
});

describe('TRON: a checkpoint-sync record to the StakeManager, over the wallet API (loopback fake node)', () => {
  it("CheckpointSubmitter.submitSync → TronRootChainClient: the core's calldata, signed by us, to the StakeManager, once", async () => {
    const tron = await startFakeTronNode({ head: 4000 });
    try {
      const c = new TronRootChainClient({
        fullHost: tron.url,
        rootChainId: 1,
        contracts: { rootChain: TronWeb.address.fromHex(TRON_ROOT_CHAIN), stakeManager: TronWeb.address.fromHex(TRON_STAKE_MANAGER), stateSender: TRON_STATE_SENDER },
        privateKey: PK,
        maxFeeLimitSun: 300_000_000n,
      });
      // An Ethereum checkpoint (#5, blocks 1024–1279) signed by three validators, as Delivery approves it.
      const keys = [1, 2, 3].map((i) => keccak256(new TextEncoder().encode(`tron-sync-validator-${i}`)));
      const signer = (k: Uint8Array) => bytesToHex(addressFromPublicKey(publicKeyCreate(k, false)));
      const rec: CheckpointSync = { proposer: signer(keys[0]!), start: 1024, end: 1279, checkpointNumber: 5, rootChainId: 2 };
      const calldata = submitCheckpointSyncCalldata(
        checkpointSyncSignBytes(rec),
        keys.map((k) => ({ signer: signer(k), signature: signCheckpointSync(rec, k) })),
      );
      tron.synced.set(2, 4n);
      tron.synced.set(3, 9n);
      const submitter = new CheckpointSubmitter({ receiptTimeoutMs: 2000, receiptPollMs: 20 }, { client: c });
      const out = await submitter.submitSync({ rootChainId: 2, number: 5n, start: 1024n, end: 1279n, calldata });
      assert.equal(out.outcome, 'submitted', out.outcome === 'failed' ? out.reason : '');

      // It asked the StakeManager where Ethereum's sync stands, estimated the call there, sent one transaction.
      const constant = tron.calls.filter((x) => x.path === '/wallet/triggerconstantcontract');
      assert.ok(constant.length >= 2);
      for (const x of constant) assert.equal(x.body.contract_address, TRON_STAKE_MANAGER.toLowerCase(), 'every read goes to the StakeManager');
      assert.equal(constant[0]!.body.data, rootInterfaces().StakeManager.encodeFunctionData('getCurrentSyncedCheckpoint', [2]).slice(2));
      assert.equal(constant[1]!.body.data, bytesToHex(calldata).slice(2), 'estimated with the calldata itself');
      assert.equal(tron.broadcast.length, 1);
      const tx = tron.broadcast[0]!;
      const value = tx.raw_data.contract[0]!.parameter.value;
      assert.equal(value.contract_address, TRON_STAKE_MANAGER.toLowerCase(), 'sent to the StakeManager, not the RootChain');
      assert.equal(value.owner_address, '41' + c.address!.slice(2));
      assert.equal(value.data, bytesToHex(calldata).slice(2));
      assert.equal('0x' + value.data!.slice(0, 8), SUBMIT_CHECKPOINT_SYNC_SELECTOR);
      // Energy 150000 × margin 1.2 × 420 sun = 75.6 TRX, under the 300 TRX cap.
      assert.equal(tx.raw_data.fee_limit, 75_600_000);
      assert.equal(tx.txID, createHash('sha256').update(Buffer.from(tx.raw_data_hex, 'hex')).digest('hex'));
      const sig = hexToBytes(tx.signature![0]!);
      assert.equal(bytesToHex(addressFromPublicKey(recover(sig.subarray(0, 64), sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!, hexToBytes(tx.txID)))), c.address);
      assert.equal(out.txHash, '0x' + tx.txID);

      // The calldata decodes to BTTC's record and signatures that recover to the validators, sorted.
      const [data, sigs] = rootInterfaces().StakeManager.decodeFunctionData('submitCheckpointSync', '0x' + value.data!) as unknown as [string, bigint[][]];
      assert.equal(data, bytesToHex(checkpointSyncSignBytes(rec)));
      const h = checkpointSyncVoteHash(rec);
      const who = sigs.map((t) => {
        const b = hexToBytes('0x' + t[0]!.toString(16).padStart(64, '0') + t[1]!.toString(16).padStart(64, '0'));
        return bytesToHex(addressFromPublicKey(recover(b, Number(t[2]!) - 27, h)));
      });
      assert.deepEqual(who, keys.map(signer).sort());

      // Once the StakeManager has #5 for Ethereum, the same record is not sent again.
      tron.synced.set(2, 5n);
      assert.equal((await submitter.submitSync({ rootChainId: 2, number: 5n, start: 1024n, end: 1279n, calldata })).outcome, 'already-submitted');
      assert.equal(tron.broadcast.length, 1);
      await c.close();
    } finally {
      await tron.close();
    }
  });
});
