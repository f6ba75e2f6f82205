/**
 * The loadtest ERC-20 (LoadToken.sol beside this file), compiled with the project's solc settings
 * and cached in build/LoadToken.json keyed by the source hash, so a run pays for the wasm compiler
 * only after the source changes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact } from '../contracts/build.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, 'LoadToken.sol');
const CACHE = join(HERE, 'build', 'LoadToken.json');

export async function loadTokenArtifact(): Promise<Artifact> {
  const source = readFileSync(SOURCE, 'utf8');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 24);
  if (existsSync(CACHE)) {
    const cached = JSON.parse(readFileSync(CACHE, 'utf8')) as { sourceHash: string; artifact: Artifact };
    if (cached.sourceHash === hash) return cached.artifact;
  }
  const { compile } = await import('../contracts/build.ts');
  const artifact = compile({ 'loadtest/LoadToken.sol': source }).LoadToken;
  if (!artifact) throw new Error('LoadToken.sol did not produce a LoadToken contract');
  mkdirSync(dirname(CACHE), { recursive: true });
  const tmp = `${CACHE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ sourceHash: hash, artifact }) + '\n');
  renameSync(tmp, CACHE);
  return artifact;
}
