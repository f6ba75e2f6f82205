import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';

test('hexToBytes: exact bytes in a buffer of their own, for any input; bad hex named in the error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.boolean(), (bytes, prefixed, upper) => {
      const hex = Buffer.from(bytes).toString('hex');
      const text = (prefixed ? '0x' : '') + (upper ? hex.toUpperCase() : hex);
      const out = hexToBytes(text);
      assert.deepEqual([...out], [...bytes]);
      assert.equal(bytesToHex(out), '0x' + hex);
      // Not a Buffer, not a view into a shared pool: a kept result pins nothing else.
      assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype);
      assert.equal(out.byteOffset, 0);
      assert.equal(out.buffer.byteLength, bytes.length);
    }),
  );
  assert.deepEqual(hexToBytes('0x'), new Uint8Array(0));
  assert.deepEqual(hexToBytes('0X0aFf'), Uint8Array.of(0x0a, 0xff));
  for (const bad of ['0x123', '0xzz', '0x12 3', '12g4', '0x0x12']) assert.throws(() => hexToBytes(bad), new RegExp(`invalid hex string: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.throws(() => hexToBytes('0x' + 'ab'.repeat(40) + 'z'), /invalid hex string: 0xabab.*\.\.\.$/);
});
