/** The devnet's live status: a table redrawn in place on a terminal, one line per interval otherwise. */
import type { DevnetSnapshot } from './supervisor.ts';

const f1 = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '-' : v.toFixed(d));
const short = (a: string | null | undefined) => (a ? `${a.slice(0, 8)}…${a.slice(-4)}` : '-');
const n0 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

/** With two root chains: each one's checkpoints, and the second's sync records on the staking chain. */
function rootChainsLine(s: DevnetSnapshot): string | null {
  if (!s.rootchains || s.rootchains.length < 2) return null;
  return (
    'root chains  ' +
    s.rootchains
      .map(
        (r) =>
          `${r.name} (${r.id}${r.staking ? ', staking' : ''}) :${r.rpcUrl.split(':').at(-1)} head ${n0(r.head)} checkpoints ${n0(r.checkpoints)}${r.staking ? '' : ` synced to staking ${n0(r.synced)}`}`,
      )
      .join('   ')
  );
}

export function statusTable(s: DevnetSnapshot, started: number): string {
  const up = s.nodes.filter((n) => n.status);
  const best = up.reduce<(typeof up)[number] | null>((b, n) => (!b || n.status!.bttc.head > b.status!.bttc.head ? n : b), null);
  const b = best?.status;
  const lines = [
    `bttc-node devnet  ${s.dir}  up ${Math.round((Date.now() - started) / 1000)} s   Ctrl-C stops every process`,
    `wallet RPC  ${s.nodes[0]?.rpcUrl ?? '-'}  (chain id ${b ? '1337199' : '-'}; every node: ${s.nodes.map((n) => n.rpcUrl.replace('http://127.0.0.1:', ':')).join(' ')})   root chain ${s.rootchain.rpcUrl ?? '-'} head ${s.rootchain.head ?? '-'}`,
    b
      ? `bttc  height ${b.bttc.head}  last interval ${f1(b.bttc.lastBlockInterval, 2)} s  ${f1(b.bttc.txPerSec)} tx/s  ${f1(b.bttc.mgasPerSec, 2)} Mgas/s  span ${b.bttc.span}  producer ${short(b.bttc.headProducer)}`
      : 'bttc  (waiting for nodes)',
    b
      ? `delivery  height ${b.delivery.height}  last span ${b.delivery.lastSpanId ?? '-'}  checkpoints proposed ${b.delivery.checkpointsProposed}  signed ${b.delivery.checkpointsApproved}  acked ${b.delivery.checkpointsAcked}${b.delivery.lastCheckpointEnd !== null ? ` (to block ${b.delivery.lastCheckpointEnd})` : ''}  checkpoint proposer ${short(b.delivery.checkpointProposer)}`
      : '',
    ...(rootChainsLine(s) ? [rootChainsLine(s)!] : []),
    ...waitingLines(s),
    ' node  pid      height  peers  delivery  txpool (pending/queued)  sealed  restarts  signer',
    ...s.nodes.map((n) => {
      const st = n.status;
      // A follower has no signer: its row says what it is instead.
      return ` ${String(n.index).padEnd(5)} ${String(n.pid ?? '-').padEnd(8)} ${String(st?.bttc.head ?? (n.up ? '…' : 'down')).padEnd(7)} ${String(st?.peers ?? '-').padEnd(6)} ${String(st?.delivery.height ?? '-').padEnd(9)} ${(st ? `${st.bttc.txpoolPending ?? st.bttc.txpool}/${st.bttc.txpoolQueued ?? 0}` : '-').padEnd(23)} ${String(st?.bttc.blocksSealed ?? '-').padEnd(7)} ${String(n.restarts).padEnd(9)} ${n.role === 'follower' ? 'follower' : short(st?.signer)}`;
    }),
  ];
  return lines.join('\n');
}

/**
 * What Delivery holds back for the root chain, once per distinct wait (every validator reports its
 * own proposal or vote wait), with the nodes that report it.
 */
export function waitingLines(s: DevnetSnapshot): string[] {
  const byWhat = new Map<string, { reason: string; nodes: number[] }>();
  for (const n of s.nodes) {
    for (const w of n.status?.delivery.waiting ?? []) {
      const e = byWhat.get(w.what);
      if (e) e.nodes.push(n.index);
      else byWhat.set(w.what, { reason: w.reason, nodes: [n.index] });
    }
  }
  return [...byWhat].map(([what, e]) => `waiting  ${what}: ${e.reason}  (node ${e.nodes.join(', ')})`);
}

export function statusLine(s: DevnetSnapshot): string {
  const b = s.nodes
    .map((n) => n.status)
    .filter((x) => x !== null)
    .sort((a, c) => c!.bttc.head - a!.bttc.head)[0];
  if (!b) return `devnet: waiting for nodes (${s.nodes.filter((n) => n.up).length}/${s.nodes.length} up)`;
  return `devnet: height ${b.bttc.head} interval ${f1(b.bttc.lastBlockInterval, 2)}s ${f1(b.bttc.txPerSec)} tx/s ${f1(b.bttc.mgasPerSec, 2)} Mgas/s span ${b.bttc.span} producer ${short(b.bttc.headProducer)} peers ${s.nodes.map((n) => n.status?.peers ?? '-').join('/')} delivery ${b.delivery.height} checkpoints ${b.delivery.checkpointsProposed}/${b.delivery.checkpointsApproved}/${b.delivery.checkpointsAcked}${roots(s)} rpc ${s.nodes[0]?.rpcUrl}${waitingLines(
    s,
  )
    .map((l) => ` | ${l}`)
    .join('')}`;
}

/** " roots ethereum 3 bsc 2/2" (checkpoints, and synced records after the slash); empty with one root chain. */
function roots(s: DevnetSnapshot): string {
  if (!s.rootchains || s.rootchains.length < 2) return '';
  return ' roots ' + s.rootchains.map((r) => `${r.name} ${n0(r.checkpoints)}${r.staking ? '' : `/${n0(r.synced)}`}`).join(' ');
}
