/** Staking events as BTTC's StakingInfo logs them, mapped to Delivery transactions as BTTC's Delivery does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RootEvent } from '../../src/root/abi.ts';
import { StakingKind, stakingTxFromEvent } from '../../src/delivery/modules/staking/txs.ts';

const ev = (name: string, args: Record<string, unknown>): RootEvent =>
  ({ contract: 'StakeManager', name, args, rootChainId: 1, blockNumber: 10, logIndex: 2, txHash: `0x${'11'.repeat(32)}` }) as RootEvent;

test("StakeUpdate without a nonce (BTTC's form) is not a Delivery transaction and does not throw", () => {
  assert.equal(stakingTxFromEvent(ev('StakeUpdate', { validatorId: 3n, newAmount: 10n ** 18n })), null);
});

test('Staked, UnstakeInit and SignerChange keep their nonces', () => {
  const pub = `0x${'02'.repeat(64)}`;
  const j = stakingTxFromEvent(ev('Staked', { signer: `0x${'ab'.repeat(20)}`, validatorId: 3n, nonce: 1n, activationEpoch: 4n, amount: 5n, total: 5n, signerPubkey: pub }));
  assert.equal(j?.kind, StakingKind.Join);
  assert.equal(j?.nonce, 1);
  const x = stakingTxFromEvent(ev('UnstakeInit', { user: `0x${'ab'.repeat(20)}`, validatorId: 3n, nonce: 2n, deactivationEpoch: 9n, amount: 5n }));
  assert.equal(x?.kind, StakingKind.Exit);
  assert.equal(x?.nonce, 2);
  const s = stakingTxFromEvent(ev('SignerChange', { validatorId: 3n, nonce: 3n, oldSigner: `0x${'ab'.repeat(20)}`, newSigner: `0x${'cd'.repeat(20)}`, signerPubkey: pub }));
  assert.equal(s?.kind, StakingKind.SignerUpdate);
  assert.equal(s?.nonce, 3);
});
