/**
 * A checkpoint cycle end to end against a real `bttc-node rootchain` process: four Delivery
 * validators (the root chain's dev signers) run the real consensus engine in real time over an
 * in-process transport; each has its own RootChainWatcher (real NewHeaderBlock / Staked events over
 * JSON-RPC) and the real CheckpointSubmitter with its signer key. A range is proposed, signed by
 * 2/3+1 in precommits, submitted, accepted by the RootChain contract, acked from the watcher's event,
 * the proposer rotates, and the next checkpoint continues the range on the root chain too.
 * Bttc headers are the fake chain of the other tests (no Bttc layer here).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { addressFromPublicKey } from '../../src/crypto/address.ts';
import { publicKeyCreate } from '../../src/crypto/secp256k1.ts';
import { InlineVerifier } from '../../src/pools/inline.ts';
import { EvmRootChainClient } from '../../src/root/evm-client.ts';
import { CheckpointSubmitter } from '../../src/root/submitter.ts';
import { RootChainWatcher } from '../../src/root/watcher.ts';
import { devKey } from '../../src/rootchain/genesis.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import type { ConsensusTransport } from '../../src/delivery/consensus/interface.ts';
import { MemoryEvidenceStore } from '../../src/delivery/consensus/evidence.ts';
import { ConsensusState } from '../../src/delivery/consensus/state.ts';
import { systemClock } from '../../src/delivery/consensus/sim/virtual-clock.ts';
import { MemoryWal } from '../../src/delivery/consensus/wal.ts';
import { closeNode, devConfig, genesisOf, openNode, ROOT_CHAIN_ID, type Key, type NodeHandle } from './helpers.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');

/** Real-time in-process gossip: every message delivered to every other node on a later macrotask. */
class Hub {
  private readonly subs = new Map<string, (from: string, data: Uint8Array) => void>();
  endpoint(peerId: string): ConsensusTransport {
    return {
      peerId,
      broadcast: (data) => {
        for (const [id, h] of this.subs) if (id !== peerId) setImmediate(() => h(peerId, data.slice()));
      },
      sendTo: (to, data) => {
        const h = this.subs.get(to);
        if (h) setImmediate(() => h(peerId, data.slice()));
      },
      subscribe: (h) => {
        this.subs.set(peerId, h);
        return () => this.subs.delete(peerId);
      },
    };
  }
}

interface Info {
  rpcUrl: string;
  contracts: { stakeManager: string; rootChain: string; stateSender: string };
}

function startRootChain(dataDir: string): Promise<{ proc: ChildProcess; info: Info }> {
  const proc = spawn(NODE, [join(ROOT, 'src/cli/main.ts'), 'rootchain', '--datadir', dataDir, '--port', '0', '--block-time', '0.25', '--dev-validators', '4'], {
    env: { ...process.env, BTTC_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`rootchain did not start in 60 s: ${err}`)), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      try {
        const info = JSON.parse(out) as Info;
        clearTimeout(timer);
        ok({ proc, info });
      } catch {
        /* not the whole JSON yet */
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`rootchain exited with ${code}: ${err}`));
    });
  });
}

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
});

describe('delivery checkpoint cycle against bttc-node rootchain', { timeout: 150_000 }, () => {
  it('proposed, signed 2/3+1 in precommits, submitted, acked from NewHeaderBlock, proposer rotated, range continued', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dataDir = mkdtempSync(join(tmpdir(), 'delivery-e2e-root-'));
    const { proc, info } = await startRootChain(dataDir);
    stops.push(async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    });

    const config = devConfig();
    const keys: Key[] = [0, 1, 2, 3].map((i) => {
      const secretKey = devKey(`signer ${i}`);
      const publicKey = publicKeyCreate(secretKey, false);
      return { secretKey, publicKey, address: bytesToHex(addressFromPublicKey(publicKey)) };
    });
    const genesis = { ...genesisOf(keys), time: Date.now() };
    const reader = await EvmRootChainClient.connect({ rpcUrl: info.rpcUrl, rootChainId: ROOT_CHAIN_ID, contracts: info.contracts });
    const spanSeed = async (id: number) => {
      const b = await reader.provider.getBlock(id);
      return b?.hash ? hexToBytes(b.hash) : null;
    };
    const hub = new Hub();
    const nodes: (NodeHandle & { consensus: ConsensusState; watcher: RootChainWatcher })[] = [];
    for (const k of keys) {
      const client = await EvmRootChainClient.connect({ rpcUrl: info.rpcUrl, rootChainId: ROOT_CHAIN_ID, contracts: info.contracts, privateKey: bytesToHex(k.secretKey) });
      const submitter = new CheckpointSubmitter({ receiptTimeoutMs: 20_000, receiptPollMs: 100 }, { client });
      const h = await openNode(k, genesis, { config, clock: { now: () => Date.now() }, submitters: new Map([[ROOT_CHAIN_ID, submitter]]), spanSeed });
      const watcher = new RootChainWatcher({ confirmations: 1, pollIntervalMs: 150 }, { client, db: h.store.db, onEvent: (e) => h.app.onRootEvent(e) });
      const consensus = new ConsensusState(
        {
          chainId: config.delivery.chainId,
          secretKey: k.secretKey,
          startHeight: h.app.height + 1,
          timeouts: { propose: 1500, proposeDelta: 500, prevote: 500, prevoteDelta: 250, precommit: 500, precommitDelta: 250, commit: 150 },
          gossipIntervalMs: 500,
        },
        { app: h.app, transport: hub.endpoint(k.address), clock: systemClock, verifier: new InlineVerifier(), wal: new MemoryWal(), evidence: new MemoryEvidenceStore() },
      );
      nodes.push({ ...h, consensus, watcher });
      stops.push(async () => {
        await consensus.stop();
        await watcher.stop();
        await closeNode(h);
        await client.close();
      });
    }
    stops.push(() => reader.close());
    for (const n of nodes) {
      n.watcher.start();
      await n.consensus.start();
    }
    const waitFor = async (pred: () => boolean | Promise<boolean>, what: string, ms = 45_000) => {
      const deadline = Date.now() + ms;
      while (!(await pred())) {
        for (const n of nodes) if (n.consensus.halted) throw new Error(`consensus halted: ${n.consensus.halted.message}`);
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what} (heights ${nodes.map((n) => n.app.height).join(',')}, acks ${nodes.map((n) => n.app.ackCount()).join(',')}, pool ${nodes.map((n) => n.app.poolSize).join(',')})`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    await waitFor(() => nodes.every((n) => n.app.height >= 2), 'first Delivery heights');
    // The genesis Staked events come back through the watchers and are found stale (same validators): nothing changes.
    const proposer1 = nodes[0]!.app.checkpointProposer()!;
    for (const n of nodes) n.bttc.latest = 40;
    await waitFor(() => nodes.every((n) => n.app.ackCount() === 1), 'first checkpoint acked');
    assert.equal(await reader.currentHeaderBlock(), 10000n);
    assert.equal(await reader.lastChildBlock(), 31n);
    const cp1 = (await nodes[0]!.app.latestCheckpoint())!;
    assert.deepEqual([cp1.start, cp1.end, cp1.proposer, cp1.headerBlockId], [0, 31, proposer1, '10000']);
    assert.ok(cp1.signatureCount >= 3, 'at least ⌊4·2/3⌋+1 signatures');
    const proposer2 = nodes[0]!.app.checkpointProposer()!;
    assert.notEqual(proposer2, proposer1, 'the ack rotated the proposer');
    assert.equal(nodes[0]!.app.validatorSetJson().validators.length, 4);

    for (const n of nodes) n.bttc.latest = 80;
    await waitFor(() => nodes.every((n) => n.app.ackCount() === 2), 'second checkpoint acked');
    assert.equal(await reader.currentHeaderBlock(), 20000n);
    assert.equal(await reader.lastChildBlock(), 63n);
    const cp2 = (await nodes[0]!.app.latestCheckpoint())!;
    assert.deepEqual([cp2.start, cp2.end, cp2.proposer], [32, 63, proposer2], 'the next checkpoint continues the range');
    assert.notEqual(nodes[0]!.app.checkpointProposer(), proposer2);
    for (const n of nodes) assert.equal(n.app.checkpointProposer(), nodes[0]!.app.checkpointProposer());
  });
});
