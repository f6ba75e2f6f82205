/** The protocol core's calldata (src/protocol/checkpoint) against the real RootChain contract. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointSignBytes, signCheckpoint, type Checkpoint } from '../../src/protocol/checkpoint/checkpoint.ts';
import { submitCheckpointCalldata } from '../../src/protocol/checkpoint/calldata.ts';
import { deployRootSet, makeValidator, stake, sortBySigner, type Validator } from './fixture.ts';

describe('protocol core calldata on the RootChain contract', () => {
  it('2/3+1 signatures in any input order are accepted; 2/3 are not', async () => {
    const set = await deployRootSet();
    const vals: Validator[] = [];
    for (let i = 0; i < 6; i++) {
      const v = makeValidator(`interop-${i}`);
      assert.ok((await stake(set, v)).ok);
      vals.push(v);
    }
    const cp: Checkpoint = { proposer: vals[0]!.signerAddress, start: 0, end: 63, rootHash: '0x' + '12'.repeat(32), accountRootHash: '0x' + '34'.repeat(32), borChainId: 199, epoch: 1 };
    const sig = (v: Validator) => ({ signer: v.signerAddress, signature: signCheckpoint(cp, v.signer.secret) });
    // n = 6 needs 5. Four are refused.
    const four = submitCheckpointCalldata(checkpointSignBytes(cp), vals.slice(0, 4).map(sig));
    assert.equal((await set.chain.sendRaw(set.gov, set.rootChain, four)).revert, '2/3+1 non-majority!');
    // Five, given unsorted: the core sorts them.
    const unsorted = [...sortBySigner(vals.slice(0, 5))].reverse();
    const five = submitCheckpointCalldata(checkpointSignBytes(cp), unsorted.map(sig));
    const out = await set.chain.sendRaw(set.gov, set.rootChain, five);
    assert.ok(out.ok, out.revert);
    assert.equal(out.logs.find((l) => l.name === 'NewHeaderBlock')!.args.end, 63n);
  });
});
