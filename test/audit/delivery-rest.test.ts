/**
 * The Delivery REST parser against BTTC's JSON (bttcprotocol/delivery types/span.go, validator.go,
 * validator-set.go; encoding/json in the querier). Fixtures: bttc-span-mainnet.json is BTTC mainnet's
 * genesis span 0 (its 7 validators, from bttcprotocol/launch) as `bor/span/0` serves it;
 * bttc-span-draw.json a span with a producer draw (the shared producerSelection vector).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBorParams, parseDeliverySpan, parseEnvelope, parseJsonExact } from '../../src/audit/delivery-rest.ts';
import { AuditError } from '../../src/audit/interface.ts';
import { vectors } from '../helpers/vectors.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('Delivery REST: BTTC-shaped JSON', () => {
  it('reads bor/span/{id} as BTTC serves it (mainnet genesis span)', () => {
    const { height, result } = parseEnvelope(parseJsonExact(fixture('bttc-span-mainnet.json')), 'bor/span/0');
    assert.equal(height, 1034n);
    const span = parseDeliverySpan(result);
    assert.equal(span.id, 0);
    assert.equal(span.startBlock, 0);
    assert.equal(span.endBlock, 255);
    assert.equal(span.bttcChainId, '199');
    assert.equal(span.validators.length, 7);
    const byId = new Map(span.validators.map((v) => [v.id, v]));
    for (const v of vectors.mainnetGenesisValidatorSet.validators) {
      const got = byId.get(v.id)!;
      assert.equal(got.signer, v.signer);
      assert.equal(got.pubKey, v.pubKey);
      assert.equal(got.power, BigInt(v.power));
      assert.equal(got.accum, BigInt(v.accumAfterGenesis));
    }
    assert.equal(span.proposer?.id, vectors.mainnetGenesisValidatorSet.proposerId);
    assert.deepEqual(
      span.selectedProducers.map((p) => p.id),
      [6, 3, 7, 2, 1, 4, 5],
    );
    assert.equal(span.validators[0]!.jailed, false);
    assert.equal(span.validators[0]!.endEpoch, 0n);
  });

  it('reads the same records with amino-style decimal strings (a genesis file) and keeps int64 exact', () => {
    const text = fixture('bttc-span-draw.json').replace(/"(ID|startEpoch|endEpoch|nonce|power|accum|span_id|start_block|end_block)": (-?\d+)/g, '"$1": "$2"');
    const span = parseDeliverySpan(parseEnvelope(parseJsonExact(text), 'x').result);
    assert.equal(span.id, 7);
    assert.equal(span.validators[5]!.endEpoch, 9n);
    const big = parseJsonExact('{"accum": -9223372036854775808, "power": 9007199254740993}') as Record<string, unknown>;
    assert.equal(big.accum, -9223372036854775808n);
    assert.equal(big.power, 9007199254740993n);
  });

  it('reads bor/params', () => {
    assert.deepEqual(parseBorParams({ sprint_duration: 64, span_duration: 6400, producer_count: 11 }), { sprintDuration: 64, spanDuration: 6400, producerCount: 11 });
    assert.deepEqual(parseBorParams({ sprint_duration: '64', span_duration: '6400', producer_count: '11' }), { sprintDuration: 64, spanDuration: 6400, producerCount: 11 });
  });

  it("names the field when the shape is not BTTC's", () => {
    const good = JSON.parse(fixture('bttc-span-draw.json')).result as Record<string, unknown>;
    const bad = (mutate: (s: Record<string, unknown> & { validator_set: { validators: Record<string, unknown>[] } }) => void, re: RegExp) => {
      const s = structuredClone(good) as Record<string, unknown> & { validator_set: { validators: Record<string, unknown>[] } };
      mutate(s);
      assert.throws(
        () => parseDeliverySpan(s, 'span'),
        (e: Error) => e instanceof AuditError && re.test(e.message),
        re.source,
      );
    };
    // Our own node's older camelCase shape is not BTTC's.
    assert.throws(() => parseDeliverySpan({ id: 1, startBlock: 0, endBlock: 1, validatorSet: {}, selectedProducers: [], bttcChainId: 199 }), /span: missing "validator_set"/);
    bad((s) => delete s.span_id, /span: missing "span_id"/);
    bad((s) => delete s.validator_set.validators[1]!.ID, /span\.validator_set\.validators\[1\]: missing "ID"/);
    bad((s) => (s.validator_set.validators[0]!.signer = '0x1234'), /validators\[0\]\.signer: expected a 0x-prefixed 20-byte address/);
    bad((s) => (s.validator_set.validators[2]!.power = 1.5), /validators\[2\]\.power: expected an integer/);
    bad((s) => (s.validator_set.validators[2]!.power = '9223372036854775808'), /validators\[2\]\.power: 9223372036854775808 is out of range/);
    bad((s) => (s.validator_set.validators[0]!.jailed = 'no'), /validators\[0\]\.jailed: expected true or false/);
    bad((s) => (s.selected_producers = null), /span\.selected_producers: expected a JSON array/);
    bad((s) => (s.bor_chain_id = { id: 199 }), /span\.bor_chain_id: expected a string/);
    assert.throws(() => parseEnvelope({ height: 5, result: {} }, 'bor/span/1'), /bor\/span\/1\.height: expected a decimal string/);
    assert.throws(() => parseEnvelope({ height: '5' }, 'bor/span/1'), /bor\/span\/1: missing "result"/);
  });
});
