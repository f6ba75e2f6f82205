import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cryptoStatus, warnIfSlowCrypto } from '../../src/crypto/status.ts';

function captureLogger() {
  const lines: { level: string; obj: unknown; msg: string }[] = [];
  return {
    lines,
    error: (obj: unknown, msg: string) => void lines.push({ level: 'error', obj, msg }),
    info: (obj: unknown, msg: string) => void lines.push({ level: 'info', obj, msg }),
  };
}

test('everything native here: no warning, one info line', () => {
  const st = cryptoStatus();
  assert.deepEqual(Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.backend])), { secp256k1: 'native', keccak: 'native', bls: 'native' });
  const log = captureLogger();
  assert.deepEqual(warnIfSlowCrypto(log as never), []);
  assert.equal(log.lines.filter((l) => l.level === 'error').length, 0);
});

test('a missing keccak addon is reported loudly at error level, naming the fallback', () => {
  const script = `
    const { warnIfSlowCrypto } = await import('./src/crypto/status.ts');
    const lines = [];
    const slow = warnIfSlowCrypto({ error: (o, m) => lines.push(['error', m]), info: (o, m) => lines.push(['info', m]) });
    console.log(JSON.stringify({ slow, lines }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), env: { ...process.env, BTTC_KECCAK_BACKEND: 'js' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { slow: string[]; lines: [string, string][] };
  assert.deepEqual(got.slow, ['keccak']);
  assert.equal(got.lines.length, 1);
  assert.equal(got.lines[0]![0], 'error');
  assert.match(got.lines[0]![1], /SLOW CRYPTO: keccak .*(keccak package|@noble)/);
});
