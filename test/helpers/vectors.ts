/**
 * The shared BTTC test vectors. Prefers the workplace's `../shared/vectors` (the source of truth)
 * and falls back to the copy committed under test/vectors so a clone elsewhere still tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const candidates = [
  process.env.BTTC_SHARED_DIR && join(process.env.BTTC_SHARED_DIR, 'vectors/bttc-vectors.json'),
  join(root, '../shared/vectors/bttc-vectors.json'),
  join(root, 'test/vectors/bttc-vectors.json'),
].filter(Boolean) as string[];

export const vectorsPath = candidates.find((p) => existsSync(p))!;
export const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as BttcVectors;

export interface HeaderVector {
  number: number;
  timestamp: number;
  txRoot: string;
  receiptsRoot: string;
  leaf: string;
}
export interface BttcVectors {
  emptyTrieRoot: string;
  checkpointLeaves: HeaderVector[];
  checkpointRoots: { blocks?: number[]; leaves?: string[]; root: string }[];
  accountRoots: { accounts: [string, string][] | string; leaf?: string; root: string }[];
  checkpointSignature: {
    privateKey: string;
    address: string;
    checkpoint: { proposer: string; start: number; end: number; rootHash: string; accountRootHash: string; borChainId: number; epoch: number };
    voteHash: string;
    r: string;
    s: string;
    v: number;
    rootChainV: number;
  };
  selectors: Record<string, string>;
  mainnetGenesisValidatorSet: { validators: { id: number; signer: string; pubKey: string; power: number; accumAfterGenesis: number }[]; proposerId: number };
  goMathRand: { cases: { seed: string; seedInt64: number; firstUint64s: string[] }[] };
  producerSelection: {
    weightedRanges: { weights: number[]; cumulative: number[]; total: number }[];
    cases: { seed: string; idsInOrder: number[]; powers: number[]; producerCount: number; pickedIdsInDrawOrder: number[] }[];
  };
}
