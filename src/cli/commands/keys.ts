import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { CliError, printJson } from '../io.ts';

export const KEY_FILE_NAME = 'validator-keys.json';

export function register(program: Command): void {
  program
    .command('keys')
    .description("create a validator's owner and signer secp256k1 keys in DIR/validator-keys.json (mode 0600, never overwritten)")
    .requiredOption('--out <dir>', 'directory to write the key file into')
    .option('--json', 'print the public part as JSON')
    .action(async (opts: { out: string; json?: boolean }) => {
      const { generateValidatorKeys, writeKeyFile, keysToJson, KeyFileError } = await import('../../node/keys.ts');
      const file = join(resolve(opts.out), KEY_FILE_NAME);
      const keys = generateValidatorKeys();
      try {
        writeKeyFile(file, keys);
      } catch (err) {
        if (err instanceof KeyFileError) throw new CliError(err.message);
        throw err;
      }
      const j = keysToJson(keys) as { owner: Record<string, string>; signer: Record<string, string> };
      const pub = {
        file,
        owner: { address: j.owner.address, tronAddress: j.owner.tronAddress },
        signer: { address: j.signer.address, tronAddress: j.signer.tronAddress, publicKey: j.signer.publicKey },
      };
      if (opts.json) return printJson(pub);
      process.stdout.write(
        [
          `wrote ${file} (mode 0600; keep it secret, back it up)`,
          `owner   ${pub.owner.address}  ${pub.owner.tronAddress}`,
          `signer  ${pub.signer.address}  ${pub.signer.tronAddress}`,
          `signer public key ${pub.signer.publicKey}`,
        ].join('\n') + '\n',
      );
    });
}
