/**
 * web3_clientVersion in geth's shape, name/version/os-arch/runtime (geth:
 * "Geth/v1.13.5-stable/linux-amd64/go1.21.4"), so tools that parse it (block explorers, Foundry's
 * node detection) find four fields: "bttc-node/v0.1.0/linux-x64/node-v24.21.0".
 */
import { readFileSync } from 'node:fs';

let cached: string | null = null;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function clientVersion(proc: Pick<NodeJS.Process, 'platform' | 'arch' | 'version'> = process): string {
  if (proc === process && cached) return cached;
  const v = `bttc-node/v${packageVersion()}/${proc.platform}-${proc.arch}/node-${proc.version}`;
  if (proc === process) cached = v;
  return v;
}
