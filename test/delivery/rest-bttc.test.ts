/**
 * A node's Bttc layer following Delivery through REST, as a BTTC Bttc client does: the Bttc layer
 * is opened with the sources the node builds for `node.delivery.restUrl` (src/node/delivery-source.ts),
 * pointed at a real DeliveryRestServer over a real Delivery app (one validator, decided heights
 * driven here). Delivery reads this very Bttc chain, so it proposes spans as Bttc advances; Bttc
 * (a real executor producing blocks) must commit span 0's successors and a root-chain state sync at
 * its sprint starts, every one of them read over HTTP.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Interface } from 'ethers';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/load.ts';
import { Executor } from '../../src/evm/executor.ts';
import { ChainStore } from '../../src/chain/store.ts';
import { LevelStore } from '../../src/db/level.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { getArtifact } from '../../src/contracts/build.ts';
import { BttcLayer } from '../../src/bttc/layer.ts';
import { loadSystemContractsCode } from '../../src/bttc/system/genesis.ts';
import { decodeCurrentSpan, decodeUint, GET_CURRENT_SPAN, LAST_STATE_ID } from '../../src/bttc/system/abi.ts';
import { DeliveryApp } from '../../src/delivery/app/app.ts';
import { DeliveryStore } from '../../src/delivery/store/store.ts';
import { DeliveryRestServer } from '../../src/delivery/rest/server.ts';
import { bttcHeaderReader } from '../../src/node/adapters.ts';
import { Closers } from '../../src/node/closers.ts';
import { bttcDeliverySources } from '../../src/node/delivery-source.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { tempDir } from '../helpers/tmp.ts';
import { sleep, until } from '../helpers/until.ts';
import { decideHeight, deliverEvents, FakeRoot, key, spanSeed, type NodeHandle } from './helpers.ts';

const config = loadConfig('devnet', { bttc: { period: 1, producerDelay: 1, backupMultiplier: 1, sprint: 4, spanLength: 8, firstSpanEnd: 7 } });
const TARGET = hexToBytes('0x00000000000000000000000000000000000a0001');

test('Bttc follows spans and state syncs through the Delivery REST client', { timeout: 240_000 }, async (t) => {
  const dir = tempDir(t, 'rest-bttc');
  const closers = new Closers({ logger: createLogger({ level: 'silent' }) });
  const onClose = (name: string, close: () => Promise<void> | void) => closers.add(name, close);
  let driving = true;
  let driver: Promise<void> = Promise.resolve();
  try {
    // Bttc's chain first: Delivery reads it.
    const executor = await Executor.open({ chainId: config.bttc.chainId, dataDir: join(dir, 'exec') });
    onClose('executor', () => executor.close());
    const chainDb = await LevelStore.open(join(dir, 'chain'));
    onClose('chain db', () => chainDb.close());
    const chain = new ChainStore({}, { db: chainDb });

    // Delivery: one validator, real time, the Bttc chain above as its Bttc.
    const k = key(0, 45);
    const deliveryDb = await LevelStore.open(join(dir, 'delivery'));
    onClose('delivery db', () => deliveryDb.close());
    const genesis = { time: Date.now() - 10_000, validators: [{ id: 1, signer: k.address, pubKey: bytesToHex(k.publicKey), votingPower: 1 }] };
    const app = await DeliveryApp.open(
      { config, signerKey: k.secretKey },
      { store: new DeliveryStore(deliveryDb), bttc: bttcHeaderReader(chain), verifier: new InlineVerifier(), clock: { now: () => Date.now() }, spanSeed },
      genesis,
    );
    const server = new DeliveryRestServer({}, { app });
    const restUrl = `http://127.0.0.1:${(await server.listen()).port}`;
    onClose('rest server', () => server.close());

    // The node's wiring for node.delivery.restUrl: Bttc's spans and state syncs over HTTP.
    const metrics = new Registry();
    const sources = await bttcDeliverySources({ restUrl, bttcChainId: config.bttc.chainId, pollMs: 100 }, { app, metrics, onClose });
    assert.equal(sources.from, restUrl);
    const layerDb = await LevelStore.open(join(dir, 'layer'));
    onClose('layer db', () => layerDb.close());
    const target = getArtifact('TestStateReceiverTarget');
    const layer = await BttcLayer.open(
      {
        bttc: config.bttc,
        genesis: { time: BigInt(Math.floor(Date.now() / 1000)), alloc: [[TARGET, { code: hexToBytes(target.deployedBytecode) }]] },
        systemCode: await loadSystemContractsCode(),
        signer: { key: k.secretKey, address: hexToBytes(k.address) },
        buildBudgetMs: 300,
      },
      { executor, chain, db: layerDb, verifier: new InlineVerifier(), spans: sources.spans, stateSyncs: sources.stateSyncs },
    );
    onClose('layer', () => layer.close());

    // A state sync on the root chain; Delivery decides a height every 300 ms.
    const root = new FakeRoot();
    root.stateSynced(bytesToHex(TARGET), '0x07');
    const node = { app, key: k, delivered: 0 } as unknown as NodeHandle;
    driver = (async () => {
      while (driving) {
        await deliverEvents([node], root);
        await decideHeight([node], config.delivery.chainId);
        await sleep(300);
      }
    })();
    layer.start();

    // Span 1 is committed at block 4, span 2 at block 12 (each span's end − sprint + 1).
    await until(
      () => `Bttc at block 17 (head ${chain.head().number}, Delivery spans to ${app.lastSpanId})`,
      180_000,
      () => chain.head().number >= 17n,
      200,
    );
    layer.producer!.stop();
    const head = chain.head();
    const call = async (to: Uint8Array, data: Uint8Array) =>
      (await executor.call({ to, data }, { stateRoot: head.header.stateRoot, number: head.number, time: head.header.time, gasLimit: head.header.gasLimit })).returnValue;
    assert.ok(decodeCurrentSpan(await call(hexToBytes(config.bttc.validatorSetContract), GET_CURRENT_SPAN)).id >= 2n, 'spans 1 and 2 committed from REST');
    assert.equal(decodeUint(await call(hexToBytes(config.bttc.stateReceiverContract), LAST_STATE_ID)), 1n, 'state sync 1 committed');
    const iface = new Interface(target.abi as never);
    assert.equal(iface.decodeFunctionResult('count', await call(TARGET, hexToBytes(iface.encodeFunctionData('count', []))))[0], 1n, 'delivered to its receiver');
    const text = await metrics.metrics();
    // Each new span arrives as the latest one (bor/span/{id} fills gaps: the client test covers it).
    for (const path of ['bor/latest-span', 'clerk/event-record/list'])
      assert.match(text, new RegExp(`bttc_delivery_rest_client_requests_total\\{path="${path.replace(/\//g, '\\/')}",outcome="200"\\} [1-9]`), path);
  } finally {
    driving = false;
    await driver.catch(() => undefined);
    await closers.close();
  }
});
