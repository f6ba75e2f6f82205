/** Runs every per-operation bench in native-bench/ in turn; `--quick` for a short smoke pass. */
import { main as secp256k1 } from './secp256k1.ts';
import { main as keccak } from './keccak.ts';
import { main as bls } from './bls.ts';
import { main as transport } from './transport.ts';

for (const [name, run] of Object.entries({ secp256k1, keccak, bls, transport })) {
  console.log(`\n== native-bench/${name}`);
  await run();
}
