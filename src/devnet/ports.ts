/**
 * The ports a devnet binds, named, and a check that each is free before anything starts: a port
 * clash otherwise surfaces as one node's "EADDRINUSE" in its log file while the others run on.
 */
import { createServer } from 'node:net';
import { rootPort, type DevnetLayout } from './setup.ts';

export interface NamedPort {
  port: number;
  what: string;
}

export function devnetPorts(layout: Pick<DevnetLayout, 'validators' | 'followers' | 'ports' | 'extraRootChains'>): NamedPort[] {
  const out: NamedPort[] = [{ port: layout.ports.root, what: 'the root chain JSON-RPC' }];
  (layout.extraRootChains ?? []).forEach((c, k) => out.push({ port: rootPort(layout, k + 1), what: `the ${c.name} root chain JSON-RPC` }));
  const nodes = layout.validators + (layout.followers ?? 0);
  for (let i = 0; i < nodes; i++) {
    const who = i < layout.validators ? `validator ${i}` : `follower ${i - layout.validators}`;
    out.push({ port: layout.ports.rpc + i, what: `${who} JSON-RPC` }, { port: layout.ports.rest + i, what: `${who} Delivery REST` }, { port: layout.ports.p2p + i, what: `${who} p2p` });
  }
  return out;
}

function free(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** The named ports that something else already listens on (loopback, where the devnet binds). */
export async function busyPorts(ports: NamedPort[], host = '127.0.0.1'): Promise<NamedPort[]> {
  const busy: NamedPort[] = [];
  for (const p of ports) if (!(await free(p.port, host))) busy.push(p);
  return busy;
}

/** Two of the devnet's own ports that coincide (e.g. --rpc-port 1317 with 4 nodes and --rest-port 1318). */
export function overlappingPorts(ports: NamedPort[]): [NamedPort, NamedPort] | null {
  const seen = new Map<number, NamedPort>();
  for (const p of ports) {
    const other = seen.get(p.port);
    if (other) return [other, p];
    seen.set(p.port, p);
  }
  return null;
}
