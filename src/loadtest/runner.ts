/**
 * The load generator (modelled on polycli loadtest): every transaction is signed before the clock
 * starts (nonces assigned per account in order), then sent at the target rate in JSON-RPC batches,
 * one per 20 ms tick; a block watcher polls the head and matches included hashes to their send time.
 * The report covers the blocks from the first after the start to the one that included our last
 * transaction (or the end of the drain period).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Interface } from 'ethers';
import { keccak256 } from '../crypto/keccak.ts';
import { signLegacyTx, type LegacyTxFields } from '../evm/txSign.ts';
import { bytesToHex, hexToBytes } from '../util/bytes.ts';
import type { LoadAccount } from './accounts.ts';
import { JsonRpcClient, RpcCallError } from './rpc.ts';
import { errorKind, summarize, type Summary } from './stats.ts';
import { loadTokenArtifact } from './token.ts';

export type LoadMode = 'transfer' | 'erc20';

export interface LoadTestOptions {
  rpc: string;
  mode: LoadMode;
  /** Transactions per second to send. */
  rate: number;
  durationSec: number;
  accounts: LoadAccount[];
  gasPrice?: bigint;
  /** Seconds to wait after the last send for our transactions to be included (default 30). */
  drainSec?: number;
  /** Head polling period (ms); bounds the resolution of observed block intervals. */
  pollMs?: number;
  /** Transactions an account may have sent and not yet included (default 48; txpools hold 64 per sender). */
  maxPendingPerAccount?: number;
  /** Bor sprint length: also report intervals that do not end at a sprint start (where a producer switch adds producerDelay). */
  sprint?: number;
  /**
   * Other nodes' RPC URLs (http or ws) whose newHeads are watched too: a block's first arrival at any
   * of them (or at `rpc`) times the network's block interval, apart from any one node's import time.
   */
  watch?: string[];
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  phase: 'prepare' | 'send' | 'drain';
  elapsedSec: number;
  sent: number;
  included: number;
  errors: number;
  head: number;
}

export interface LoadReport {
  mode: LoadMode;
  rpc: string;
  chainId: number;
  accounts: number;
  target: { rate: number; durationSec: number; transactions: number };
  signSeconds: number;
  /** Seconds the sending took (≥ durationSec when the node answers slowly). */
  sendSeconds: number;
  sent: number;
  /** Pre-signed but not sent: the node did not include fast enough (per-account cap) or the account's sequence broke. */
  notSent: number;
  /** Send ticks on which every account was at its cap (the node is the bottleneck). */
  backpressureTicks: number;
  /** Sends of a transaction the node had refused for a full list or pool (each refusal is also in `errors`). */
  resent: number;
  accepted: number;
  included: number;
  notIncluded: number;
  errors: Record<string, number>;
  token: string | null;
  blocks: { first: number; last: number; count: number; gasUsed: string; txs: number };
  /** Seconds of chain time the window covers (header timestamps). */
  windowSeconds: number;
  tps: number;
  mgasPerSec: number;
  /** Between consecutive blocks as the client saw them arrive (seconds). */
  blockInterval: Summary;
  /** Between consecutive header timestamps (seconds, whole numbers on Bor). */
  blockIntervalHeader: Summary;
  /** Seen intervals not ending at a sprint-start block (only with `sprint`). */
  blockIntervalWithinSprint: Summary | null;
  /** How block arrival was timed: 'newHeads' (ws notifications) for every block, or 'poll' for some. */
  headTiming: 'newHeads' | 'poll';
  /**
   * With `watch`: between consecutive blocks' first newHeads arrival at any watched node (seconds).
   * The producer announces its own block when it stores it, so this is the network's production
   * cadence as an outside observer sees it; `blockInterval` adds the RPC node's own import time.
   */
  blockIntervalNetwork: Summary | null;
  /** Nodes whose newHeads timed `blockIntervalNetwork` (the RPC node included). */
  watched: string[];
  /** Send to first sight of the including block (seconds). */
  inclusionLatency: Summary;
  /**
   * The load generator's own event-loop delay while it ran (seconds). Every arrival time above is
   * taken on that loop, so a block interval can read longer by up to this much than it was.
   */
  observerLag: { p50: number; p99: number; max: number };
}

interface RpcBlock {
  number: string;
  timestamp: string;
  gasUsed: string;
  transactions: string[];
}

interface SeenBlock {
  number: number;
  timestamp: number;
  gasUsed: bigint;
  txs: number;
  seenAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MAX_ATTEMPTS = 20;
const RETRY_PAUSE_MS = 500;

/** A refusal that can succeed later unchanged: the pool's per-sender or total limit (geth words it alike). */
export function isRetryableRefusal(e: Error): boolean {
  return /may wait per sender|transactions waiting \(limit|pool is full|txpool is full|account limit exceeded/.test(e.message);
}

/** An EIP-155 legacy transaction signed natively, as 0x-hex raw bytes and its hash. */
function signRaw(tx: LegacyTxFields, chainId: number, key: Uint8Array): { raw: string; hash: string } {
  const raw = signLegacyTx(tx, chainId, key);
  return { raw: bytesToHex(raw), hash: bytesToHex(keccak256(raw)) };
}

export class LoadTest {
  private readonly opts: LoadTestOptions;
  private readonly rpc: JsonRpcClient;
  private readonly sendTimes = new Map<string, number>();
  private readonly accountOfHash = new Map<string, number>();
  private pendingPerAccount = new Int32Array(0);
  private backpressureTicks = 0;
  private resent = 0;
  private readonly latencies: number[] = [];
  private readonly blocks: SeenBlock[] = [];
  private readonly errors: Record<string, number> = {};
  private errorCount = 0;
  private lastSeen = -1;
  private watching = false;

  constructor(opts: LoadTestOptions) {
    if (!(opts.rate > 0)) throw new Error(`--rate: expected a positive number of transactions per second, got ${opts.rate}`);
    if (!(opts.durationSec > 0)) throw new Error(`--duration: expected a positive number of seconds, got ${opts.durationSec}`);
    if (opts.accounts.length === 0) throw new Error('no funded accounts to send from');
    if (opts.mode !== 'transfer' && opts.mode !== 'erc20') throw new Error(`--mode: expected transfer or erc20, got ${JSON.stringify(opts.mode)}`);
    this.opts = opts;
    this.rpc = new JsonRpcClient(opts.rpc);
  }

  private countError(e: RpcCallError | Error): void {
    const kind = e instanceof RpcCallError ? errorKind(e.code, e.message) : errorKind('client', e.message);
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
    this.errorCount++;
  }

  private async waitReceipt(hash: string, timeoutMs: number): Promise<{ status: string; contractAddress: string | null; gasUsed: string }> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await this.rpc.call<{ status: string; contractAddress: string | null; gasUsed: string } | null>('eth_getTransactionReceipt', [hash]);
      if (r) return r;
      await sleep(200);
    }
    throw new Error(`transaction ${hash} not included within ${timeoutMs / 1000} s`);
  }

  async run(): Promise<LoadReport> {
    const { opts, rpc } = this;
    const accounts = opts.accounts;
    const chainId = Number(BigInt(await rpc.call<string>('eth_chainId')));
    const gasPrice = opts.gasPrice ?? BigInt(await rpc.call<string>('eth_gasPrice'));
    const nonceRes = await rpc.batch(accounts.map((a) => ({ method: 'eth_getTransactionCount', params: [a.address, 'pending'] })));
    const nonces = nonceRes.map((r, i) => {
      if (!r.ok) throw new Error(`eth_getTransactionCount for ${accounts[i]!.address}: ${r.error.message}`);
      return BigInt(r.result as string);
    });
    const balances = await rpc.batch(accounts.map((a) => ({ method: 'eth_getBalance', params: [a.address, 'latest'] })));
    balances.forEach((r, i) => {
      if (r.ok && BigInt(r.result as string) === 0n) throw new Error(`account ${accounts[i]!.address} has no balance on ${opts.rpc}: fund it or use the chain's funded keys`);
    });

    let token: string | null = null;
    let gasLimit = 21000n;
    let recipients: string[];
    if (opts.mode === 'erc20') {
      const art = await loadTokenArtifact();
      const iface = new Interface(art.abi as never);
      const deployData = art.bytecode + iface.encodeDeploy([accounts.map((a) => a.address), 10n ** 30n]).slice(2);
      const deployer = accounts[0]!;
      const deployGas = BigInt(await rpc.call<string>('eth_estimateGas', [{ from: deployer.address, data: deployData }]));
      const deploy = signRaw({ nonce: nonces[0]!, gasPrice, gasLimit: (deployGas * 12n) / 10n, data: hexToBytes(deployData) }, chainId, deployer.key);
      nonces[0]!++;
      const hash = await rpc.call<string>('eth_sendRawTransaction', [deploy.raw]);
      const rec = await this.waitReceipt(hash, 60_000);
      if (rec.status !== '0x1' || !rec.contractAddress) throw new Error(`token deployment ${hash} failed (status ${rec.status})`);
      token = rec.contractAddress;
      // Each account pays its neighbour: existing balance slots, the steady-state cost of a transfer.
      recipients = accounts.map((_, i) => accounts[(i + 1) % accounts.length]!.address);
      const probe = iface.encodeFunctionData('transfer', [recipients[0]!, 1n]);
      const est = BigInt(await rpc.call<string>('eth_estimateGas', [{ from: accounts[0]!.address, to: token, data: probe }]));
      gasLimit = (est * 13n) / 10n;
      // For erc20 mode `recipients` holds each account's transfer calldata.
      recipients = recipients.map((to) => iface.encodeFunctionData('transfer', [to, 1n]));
    } else {
      recipients = ['0x000000000000000000000000000000000000dead'];
    }

    // Pre-sign everything with the native signer (≈15× faster than ethers' JS signer).
    const tokenBytes = token === null ? undefined : hexToBytes(token);
    const callData = opts.mode === 'erc20' ? recipients.map(hexToBytes) : [];
    const sink = hexToBytes(recipients[0]!);
    const total = Math.ceil(opts.rate * opts.durationSec);
    const t0sign = performance.now();
    const raws: string[] = new Array(total);
    const hashes: string[] = new Array(total);
    for (let j = 0; j < total; j++) {
      const ai = j % accounts.length;
      const a = accounts[ai]!;
      const fields: LegacyTxFields =
        opts.mode === 'erc20' ? { nonce: nonces[ai]!, gasPrice, gasLimit, to: tokenBytes!, data: callData[ai]! } : { nonce: nonces[ai]!, gasPrice, gasLimit, to: sink, value: 1n };
      nonces[ai]!++;
      const signed = signRaw(fields, chainId, a.key);
      raws[j] = signed.raw;
      hashes[j] = signed.hash;
    }
    const signSeconds = (performance.now() - t0sign) / 1000;

    const startHead = Number(BigInt(await rpc.call<string>('eth_blockNumber')));
    this.lastSeen = startHead;
    const startBlock = await rpc.call<RpcBlock>('eth_getBlockByNumber', ['0x' + startHead.toString(16), false]);
    this.watching = true;
    const stopHeads = this.subscribeHeads(opts.rpc, true);
    const stopWatches = (opts.watch ?? []).map((url) => this.subscribeHeads(url, false));
    const watcher = this.watch(opts.pollMs ?? 50);

    this.pendingPerAccount = new Int32Array(accounts.length);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const t0 = performance.now();
    let sent = 0;
    let accepted = 0;
    const inflight = new Set<Promise<void>>();
    const TICK = 20;
    const MAX_BATCH = 500;
    const MAX_INFLIGHT = 16;
    let lastProgress = 0;
    const progress = (phase: Progress['phase']) => {
      const now = performance.now();
      if (opts.onProgress && now - lastProgress > 1000) {
        lastProgress = now;
        opts.onProgress({ phase, elapsedSec: (now - t0) / 1000, sent, included: this.latencies.length, errors: this.errorCount, head: this.lastSeen });
      }
    };
    // Per-account queues in nonce order. An account never has more than `cap` transactions sent and
    // not yet included (the pool holds 64 per sender): beyond it the load backs off instead of
    // being refused. A refusal that says "not now" (the sender's list or the pool is full, or the
    // nonce is too far ahead, as after a reorg moved the node's account nonce back) is resent after
    // a pause, and the account sends nothing newer meanwhile: skipping it would leave a nonce gap
    // that strands every later transaction of the account. Any other refusal stops the account.
    const n = accounts.length;
    const queues: number[][] = accounts.map(() => []);
    for (let j = 0; j < total; j++) queues[j % n]!.push(j);
    const next = new Int32Array(n);
    // Per account, the first transaction refused for good: nothing newer is sent (older refusals
    // waiting for a resend still go, so the sequence up to it stays whole).
    const NONE = 0x7fffffff;
    const stoppedAt = new Int32Array(n).fill(NONE);
    const retry: number[][] = accounts.map(() => []);
    const retryAt = new Float64Array(n);
    const attempts = new Uint8Array(total);
    const firstSentAt = new Float64Array(total);
    const cap = opts.maxPendingPerAccount ?? 48;
    // One tick of grace: the last due transaction falls due exactly at the end.
    const deadline = t0 + opts.durationSec * 1000 + 250;
    // Refused transactions may still be resent for a while after the last fresh one (as the drain would wait).
    const retryDeadline = deadline + (opts.drainSec ?? 30) * 1000;
    const retriesWaiting = () => retry.some((r) => r.length > 0);
    let rr = 0;
    for (;;) {
      const now = performance.now();
      if (!((sent < total && now < deadline) || (retriesWaiting() && now < retryDeadline))) break;
      const due = now < deadline ? Math.min(total, Math.floor(((now - t0) / 1000) * opts.rate)) : sent;
      // Pick only what this tick can send: a picked transaction has taken its account's next nonce,
      // so one left unsent would be a nonce gap that strands every later transaction of the account.
      const room = (MAX_INFLIGHT - inflight.size) * MAX_BATCH;
      const picked: number[] = [];
      let fresh = 0;
      let idle = 0;
      while (picked.length < room && idle < n) {
        const a = rr;
        rr = (rr + 1) % n;
        let j: number;
        if (this.pendingPerAccount[a]! >= cap || (retry[a]!.length > 0 && now < retryAt[a]!)) j = -1;
        else if (retry[a]!.length > 0) j = retry[a]!.shift()!;
        else if (stoppedAt[a] === NONE && sent + fresh < due && next[a]! < queues[a]!.length) {
          j = queues[a]![next[a]!++]!;
          fresh++;
        } else j = -1;
        if (j < 0) {
          idle++;
          continue;
        }
        idle = 0;
        this.pendingPerAccount[a]!++;
        picked.push(j);
      }
      if (picked.length === 0 && sent < due) this.backpressureTicks++;
      for (let off = 0; off < picked.length; off += MAX_BATCH) {
        const chunk = picked.slice(off, off + MAX_BATCH);
        const at = performance.now();
        for (const j of chunk) {
          if (attempts[j]! === 0) {
            sent++;
            firstSentAt[j] = at;
          } else this.resent++;
          attempts[j]!++;
          // Latency counts from the first send: a resend is the node's delay, not the client's.
          this.sendTimes.set(hashes[j]!, firstSentAt[j]!);
          this.accountOfHash.set(hashes[j]!, j % n);
        }
        const fail = (j: number, e: Error) => {
          const a = j % n;
          if (this.sendTimes.delete(hashes[j]!)) this.pendingPerAccount[a]!--;
          this.countError(e);
          if (isRetryableRefusal(e) && attempts[j]! < MAX_ATTEMPTS && j < stoppedAt[a]!) {
            retry[a]!.push(j);
            retry[a]!.sort((x, y) => x - y);
            retryAt[a] = performance.now() + RETRY_PAUSE_MS;
          } else {
            stoppedAt[a] = Math.min(stoppedAt[a]!, j);
            retry[a] = retry[a]!.filter((k) => k < j);
          }
        };
        const p = rpc
          .batch(chunk.map((j) => ({ method: 'eth_sendRawTransaction', params: [raws[j]!] })))
          .then(
            (res) => res.forEach((r, k) => (r.ok ? accepted++ : fail(chunk[k]!, r.error))),
            (err: Error) => chunk.forEach((j) => fail(j, err)),
          )
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      progress('send');
      await sleep(TICK);
    }
    await Promise.all(inflight);
    const sendSeconds = (performance.now() - t0) / 1000;

    const drainEnd = performance.now() + (opts.drainSec ?? 30) * 1000;
    while (this.sendTimes.size > 0 && performance.now() < drainEnd) {
      progress('drain');
      await sleep(100);
    }
    this.watching = false;
    loopDelay.disable();
    await watcher;
    stopHeads();
    for (const stop of stopWatches) stop();

    // Window: from the head at start to the block with our last inclusion (or the last block seen).
    const lastIncl = this.lastInclusionBlock ?? (this.blocks.length ? this.blocks[this.blocks.length - 1]!.number : startHead);
    const win = this.blocks.filter((b) => b.number > startHead && b.number <= lastIncl);
    const startTs = Number(BigInt(startBlock.timestamp));
    const endTs = win.length ? win[win.length - 1]!.timestamp : startTs;
    const windowSeconds = Math.max(endTs - startTs, 1e-9);
    const gasUsed = win.reduce((s, b) => s + b.gasUsed, 0n);
    const txs = win.reduce((s, b) => s + b.txs, 0);
    const observed: number[] = [];
    const header: number[] = [];
    const within: number[] = [];
    const network: number[] = [];
    for (let i = 1; i < win.length; i++) {
      if (win[i]!.number !== win[i - 1]!.number + 1) continue;
      const a = this.firstSeenAt.get(win[i - 1]!.number);
      const b = this.firstSeenAt.get(win[i]!.number);
      if (a !== undefined && b !== undefined) network.push((b - a) / 1000);
      observed.push((win[i]!.seenAt - win[i - 1]!.seenAt) / 1000);
      if (opts.sprint && win[i]!.number % opts.sprint !== 0) within.push((win[i]!.seenAt - win[i - 1]!.seenAt) / 1000);
      header.push(win[i]!.timestamp - win[i - 1]!.timestamp);
    }
    const included = this.latencies.length;
    return {
      mode: opts.mode,
      rpc: opts.rpc,
      chainId,
      accounts: accounts.length,
      target: { rate: opts.rate, durationSec: opts.durationSec, transactions: total },
      signSeconds,
      sendSeconds,
      sent,
      notSent: total - sent,
      backpressureTicks: this.backpressureTicks,
      resent: this.resent,
      accepted,
      included,
      notIncluded: accepted - included,
      errors: this.errors,
      token,
      blocks: { first: win[0]?.number ?? startHead, last: lastIncl, count: win.length, gasUsed: gasUsed.toString(), txs },
      windowSeconds: win.length ? windowSeconds : 0,
      tps: win.length ? included / windowSeconds : 0,
      mgasPerSec: win.length ? Number(gasUsed) / windowSeconds / 1e6 : 0,
      blockInterval: summarize(observed),
      blockIntervalHeader: summarize(header),
      blockIntervalWithinSprint: opts.sprint ? summarize(within) : null,
      headTiming: win.length > 0 && win.every((b) => this.headSeenAt.has(b.number)) ? 'newHeads' : 'poll',
      blockIntervalNetwork: opts.watch?.length ? summarize(network) : null,
      watched: opts.watch?.length ? [opts.rpc, ...opts.watch] : [],
      inclusionLatency: summarize(this.latencies.map((ms) => ms / 1000)),
      observerLag: { p50: loopDelay.percentile(50) / 1e9, p99: loopDelay.percentile(99) / 1e9, max: loopDelay.max / 1e9 },
    };
  }

  private lastInclusionBlock: number | null = null;
  /** Arrival time of each head announced over the RPC node's ws newHeads subscription. */
  private readonly headSeenAt = new Map<number, number>();
  /** First arrival of each head over any subscription (the RPC node's and the watched nodes'). */
  private readonly firstSeenAt = new Map<number, number>();

  /**
   * Times heads by a node's newHeads notifications when its ws endpoint answers: polling alone
   * quantises each arrival to the poll period, which adds up to ±pollMs to every interval measured.
   */
  private subscribeHeads(rpcUrl: string, isRpcNode: boolean): () => void {
    if (typeof WebSocket === 'undefined' || !/^(https?|wss?):/.test(rpcUrl)) return () => {};
    let ws: WebSocket;
    try {
      ws = new WebSocket(rpcUrl.replace(/^http/, 'ws'));
    } catch {
      return () => {};
    }
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    ws.onmessage = (ev: MessageEvent) => {
      const at = performance.now();
      try {
        const m = JSON.parse(String(ev.data)) as { method?: string; params?: { result?: { number?: string } } };
        const n = m.method === 'eth_subscription' ? m.params?.result?.number : undefined;
        if (typeof n !== 'string') return;
        const num = Number(BigInt(n));
        if (isRpcNode && !this.headSeenAt.has(num)) this.headSeenAt.set(num, at);
        const first = this.firstSeenAt.get(num);
        if (first === undefined || at < first) this.firstSeenAt.set(num, at);
      } catch {
        // Not a notification we understand: the poll still times this head.
      }
    };
    ws.onerror = () => {};
    return () => ws.close();
  }

  private async watch(pollMs: number): Promise<void> {
    while (this.watching) {
      try {
        const head = Number(BigInt(await this.rpc.call<string>('eth_blockNumber')));
        const seenAt = performance.now();
        for (let n = this.lastSeen + 1; n <= head; n++) {
          const b = await this.rpc.call<RpcBlock | null>('eth_getBlockByNumber', ['0x' + n.toString(16), false]);
          if (!b) break;
          const blockSeenAt = this.headSeenAt.get(n) ?? (n === head ? seenAt : performance.now());
          this.blocks.push({ number: n, timestamp: Number(BigInt(b.timestamp)), gasUsed: BigInt(b.gasUsed), txs: b.transactions.length, seenAt: blockSeenAt });
          for (const h of b.transactions) {
            const at = this.sendTimes.get(h);
            if (at === undefined) continue;
            this.sendTimes.delete(h);
            const a = this.accountOfHash.get(h);
            if (a !== undefined) this.pendingPerAccount[a]!--;
            this.latencies.push(blockSeenAt - at);
            this.lastInclusionBlock = n;
          }
          this.lastSeen = n;
        }
      } catch (err) {
        this.countError(err as Error);
      }
      await sleep(pollMs);
    }
  }
}
