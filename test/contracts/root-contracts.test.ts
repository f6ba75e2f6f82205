import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { id as selectorOf } from 'ethers';
import { vectors } from '../helpers/vectors.ts';
import { loadArtifacts } from '../../src/contracts/build.ts';
import { SECP256K1_N } from '../../src/crypto/secp256k1.ts';
import { bytesToHex, hexToBytes } from '../../src/util/bytes.ts';
import { keyFromSecret, testKey } from '../helpers/keys.ts';
import { deployRootSet, encodeCheckpoint, makeValidator, signSorted, sortBySigner, stake, voteHash, E18, ROOT, ZERO32, type RootSet, type Validator, type CheckpointData } from './fixture.ts';

const N = 7;

async function withValidators(n = N, params = {}): Promise<{ set: RootSet; vals: Validator[] }> {
  const set = await deployRootSet({ params });
  const vals: Validator[] = [];
  for (let i = 0; i < n; i++) {
    const v = makeValidator(i);
    const out = await stake(set, v);
    assert.ok(out.ok, out.revert);
    vals.push(v);
  }
  return { set, vals: sortBySigner(vals) };
}

function checkpoint(set: RootSet, proposer: Validator, start: bigint, end: bigint, extra: Partial<CheckpointData> = {}): Uint8Array {
  return encodeCheckpoint({ proposer: proposer.signerAddress, start, end, rootHash: ROOT, accountRootHash: ZERO32, borChainId: set.borChainId, epoch: 1n, ...extra });
}

async function submit(set: RootSet, data: Uint8Array, sigs: bigint[][]) {
  return set.chain.send(set.gov, 'RootChain', set.rootChain, 'submitCheckpoint', [data, sigs]);
}

describe('root contracts: ABI', () => {
  it('function selectors match the BTTC vectors', () => {
    const art = loadArtifacts();
    const all = new Map<string, string>();
    for (const a of Object.values(art)) for (const item of a.abi) if (item.type === 'function') all.set(`${item.name}(${(item.inputs as { type: string }[]).map((i) => i.type).join(',')})`, a.name);
    for (const sig of ['submitCheckpoint(bytes,uint256[3][])', 'submitCheckpointSync(bytes,uint256[3][])', 'currentHeaderBlock()', 'headerBlocks(uint256)']) {
      assert.ok(all.has(sig), `${sig} is in the ABI`);
      assert.equal(selectorOf(sig).slice(0, 10), vectors.selectors[sig], sig);
    }
    const ev = art.RootChain!.abi.find((i) => i.type === 'event' && i.name === 'NewHeaderBlock');
    assert.deepEqual(
      (ev!.inputs as { type: string; indexed: boolean }[]).map((i) => `${i.type}${i.indexed ? ' indexed' : ''}`),
      ['address indexed', 'uint256 indexed', 'uint256 indexed', 'uint256', 'uint256', 'bytes32'],
    );
  });

  it('checkpoint vote hash and signature vector is accepted by checkSignatures', async () => {
    const cs = vectors.checkpointSignature;
    const caller = testKey('fake-rootchain');
    const set = await deployRootSet({ rootChainCaller: caller });
    await set.chain.fund(caller.addressHex);
    // Stake the vector's signer: pubkey from its private key.
    const signer = keyFromSecret(hexToBytes(cs.privateKey));
    const v: Validator = { owner: testKey('vector-owner'), signer, pubkey: signer.publicKey.subarray(1), signerAddress: cs.address };
    assert.ok((await stake(set, v)).ok);
    const c = cs.checkpoint;
    const data = encodeCheckpoint({
      proposer: c.proposer,
      start: BigInt(c.start),
      end: BigInt(c.end),
      rootHash: c.rootHash,
      accountRootHash: c.accountRootHash,
      borChainId: BigInt(c.borChainId),
      epoch: BigInt(c.epoch),
    });
    assert.equal(bytesToHex(voteHash(data)), cs.voteHash);
    const sig = [BigInt(cs.r), BigInt(cs.s), BigInt(cs.rootChainV)];
    const ok = await set.chain.send(caller, 'StakeManager', set.stakeManager, 'checkSignatures', [3n, cs.voteHash, ZERO32, c.proposer, [sig]]);
    assert.ok(ok.ok, ok.revert);
    // The same signature over another hash recovers someone else: not counted.
    const bad = await set.chain.send(caller, 'StakeManager', set.stakeManager, 'checkSignatures', [3n, ROOT, ZERO32, c.proposer, [sig]]);
    assert.equal(bad.revert, '2/3+1 non-majority!');
  });
});

describe('RootChain.submitCheckpoint', () => {
  let set: RootSet;
  let vals: Validator[];
  before(async () => {
    ({ set, vals } = await withValidators());
  });

  it('rejects 2/3 - 1 signatures (4 of 7)', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const out = await submit(set, data, signSorted(data, vals.slice(0, 4)));
    assert.equal(out.ok, false);
    assert.equal(out.revert, '2/3+1 non-majority!');
  });

  it('rejects a bad bor chain id', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n, { borChainId: 200n });
    assert.equal((await submit(set, data, signSorted(data, vals))).revert, 'RootChain: invalid bor chain id');
  });

  it('rejects data that is not 7 words', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n).subarray(0, 192);
    assert.equal((await submit(set, data, signSorted(data, vals))).revert, 'RootChain: checkpoint data must be 7 words');
  });

  it('rejects a first checkpoint that does not start at 0', async () => {
    const data = checkpoint(set, vals[0]!, 1n, 255n);
    assert.equal((await submit(set, data, signSorted(data, vals))).revert, 'RootChain: start must be the previous end + 1');
  });

  it('rejects unsorted signers (a lower signer ends the loop)', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const sigs = signSorted(data, vals.slice(0, 5));
    [sigs[1], sigs[2]] = [sigs[2]!, sigs[1]!];
    assert.equal((await submit(set, data, sigs)).revert, '2/3+1 non-majority!');
  });

  it('skips a duplicate signer rather than counting it twice', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const sigs = signSorted(data, vals.slice(0, 4));
    sigs.splice(2, 0, sigs[1]!);
    assert.equal(sigs.length, 5);
    assert.equal((await submit(set, data, sigs)).revert, '2/3+1 non-majority!');
  });

  it('rejects high-s and bad v', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const sigs = signSorted(data, vals.slice(0, 5));
    // (r, n - s, v ^ 1) is the same signature in math: ecrecover would accept it, BTTC's rule does not.
    const highS = sigs.map((s) => [...s]);
    highS[4] = [sigs[4]![0]!, SECP256K1_N - sigs[4]![1]!, sigs[4]![2]! === 27n ? 28n : 27n];
    assert.equal((await submit(set, data, highS)).revert, '2/3+1 non-majority!');
    const badV = sigs.map((s) => [...s]);
    badV[4] = [sigs[4]![0]!, sigs[4]![1]!, sigs[4]![2]! - 27n];
    assert.equal((await submit(set, data, badV)).revert, '2/3+1 non-majority!');
  });

  it('does not count a signer that is not a validator', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const outsider = makeValidator('outsider');
    const sigs = signSorted(data, sortBySigner([...vals.slice(0, 4), outsider]));
    assert.equal((await submit(set, data, sigs)).revert, '2/3+1 non-majority!');
  });

  it('accepts 2/3+1 (5 of 7), stores header 10000, then rejects the replay and a gap', async () => {
    const data = checkpoint(set, vals[0]!, 0n, 255n);
    const before = (await set.chain.call('StakeManager', set.stakeManager, 'currentEpoch'))[0] as bigint;
    const out = await submit(set, data, signSorted(data, [vals[0]!, vals[2]!, vals[3]!, vals[5]!, vals[6]!]));
    assert.ok(out.ok, out.revert);
    const ev = out.logs.find((l) => l.name === 'NewHeaderBlock')!;
    assert.equal(ev.args.headerBlockId, 10000n);
    assert.equal(ev.args.proposer.toLowerCase(), vals[0]!.signerAddress);
    assert.equal(ev.args.start, 0n);
    assert.equal(ev.args.end, 255n);
    assert.equal(ev.args.root, ROOT);
    // BTTC's rule: the full reward scaled by the stake that signed (5 of 7 equal stakes).
    assert.equal(ev.args.reward, (1000n * E18 * 5n * 2000n * E18) / (7n * 2000n * E18));
    assert.equal((await set.chain.call('RootChain', set.rootChain, 'currentHeaderBlock'))[0], 10000n);
    const hb = await set.chain.call('RootChain', set.rootChain, 'headerBlocks', [10000n]);
    assert.equal(hb[0], ROOT);
    assert.equal(hb[1], 0n);
    assert.equal(hb[2], 255n);
    assert.equal(hb[4].toLowerCase(), vals[0]!.signerAddress);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'currentEpoch'))[0], before + 1n);

    assert.equal((await submit(set, data, signSorted(data, vals))).revert, 'RootChain: start must be the previous end + 1', 'replay');
    const gap = checkpoint(set, vals[1]!, 257n, 300n);
    assert.equal((await submit(set, gap, signSorted(gap, vals))).revert, 'RootChain: start must be the previous end + 1', 'gap');
    const next = checkpoint(set, vals[1]!, 256n, 300n);
    const ok2 = await submit(set, next, signSorted(next, vals));
    assert.ok(ok2.ok, ok2.revert);
    assert.equal(ok2.logs.find((l) => l.name === 'NewHeaderBlock')!.args.headerBlockId, 20000n);
    assert.equal((await set.chain.call('RootChain', set.rootChain, 'getLastChildBlock'))[0], 300n);
  });

  it('only the RootChain may call checkSignatures', async () => {
    const out = await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'checkSignatures', [1n, ROOT, ZERO32, vals[0]!.signerAddress, []]);
    assert.equal(out.revert, 'StakeManager: only the RootChain');
    const again = await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'setRootChain', [set.gov.addressHex]);
    assert.equal(again.revert, 'StakeManager: RootChain already set');
  });
});

describe('StakeManager: staking', () => {
  it('stakeFor mints ids from 1, one per owner, signer from the pubkey, events carry the replay fields', async () => {
    const set = await deployRootSet({ params: { validatorThreshold: 2n } });
    const a = makeValidator('a');
    const out = await stake(set, a);
    assert.ok(out.ok, out.revert);
    const staked = out.logs.find((l) => l.name === 'Staked')!;
    assert.equal(staked.args.validatorId, 1n);
    assert.equal(staked.args.signer.toLowerCase(), a.signerAddress);
    assert.equal(staked.args.nonce, 1n);
    assert.equal(staked.args.activationEpoch, 1n);
    assert.equal(staked.args.amount, 2000n * E18);
    assert.equal(staked.args.signerPubkey, bytesToHex(a.pubkey));
    // BTTC credits the stake-time fee to the signer (its Delivery account), not the owner.
    assert.ok(out.logs.some((l) => l.name === 'TopUpFee' && l.args.fee === E18 && l.args.user.toLowerCase() === a.signerAddress));
    // Staking events come from the StakingInfo logger; the StakeManager emits none of its own here.
    for (const l of out.logs.filter((x) => x.name !== 'Transfer')) assert.equal(l.address, set.stakingInfo, `${l.name} from StakingInfo`);
    assert.ok(!out.logAddresses.includes(set.stakeManager.toLowerCase()), 'no log from the StakeManager');
    assert.ok(out.logs.some((l) => l.name === 'Transfer' && l.args.tokenId === 1n));
    assert.equal(((await set.chain.call('StakingNFT', set.nft, 'ownerOf', [1n]))[0] as string).toLowerCase(), a.owner.addressHex.toLowerCase());
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'signerToValidator', [a.signerAddress]))[0], 1n);

    // Same owner, new signer: one position per owner.
    const sameOwner = { ...makeValidator('b'), owner: a.owner };
    assert.equal((await stake(set, sameOwner)).revert, 'StakingNFT: one validator per owner');
    // Same signer, new owner.
    const sameSigner = { ...a, owner: testKey('other-owner') };
    assert.equal((await stake(set, sameSigner)).revert, 'StakeManager: signer already in use');
    // Below the minimum, fee too small, bad pubkey.
    const c = makeValidator('c');
    assert.equal((await stake(set, c, 999n * E18)).revert, 'StakeManager: not enough deposit');
    assert.equal((await stake(set, c, 2000n * E18, E18 - 1n)).revert, 'StakeManager: fee too small');
    assert.equal((await stake(set, { ...c, pubkey: c.pubkey.subarray(1) })).revert, 'StakeManager: signer pubkey must be 64 bytes (x, y)');
    assert.ok((await stake(set, c)).ok);
    // Validator cap (2).
    assert.equal((await stake(set, makeValidator('d'))).revert, 'StakeManager: no more slots');
    // Governance raises the cap; others cannot.
    assert.equal((await set.chain.send(c.owner, 'StakeManager', set.stakeManager, 'updateValidatorThreshold', [3n])).revert, 'StakeManager: only governance');
    await set.chain.must(set.gov, 'StakeManager', set.stakeManager, 'updateValidatorThreshold', [3n]);
    const d = await stake(set, makeValidator('d'));
    assert.ok(d.ok);
    assert.equal(d.logs.find((l) => l.name === 'Staked')!.args.validatorId, 3n);
  });

  it('only the StakeManager mints StakingNFTs', async () => {
    const set = await deployRootSet();
    const out = await set.chain.send(set.gov, 'StakingNFT', set.nft, 'mint', [set.gov.addressHex, 99n]);
    assert.equal(out.revert, 'StakingNFT: only the StakeManager');
  });
});

describe('StakeManager: unstake, signer update, rewards', () => {
  async function advance(set: RootSet, vals: Validator[], from: bigint, count: number, signers = vals): Promise<bigint> {
    let start = from;
    for (let i = 0; i < count; i++) {
      const data = checkpoint(set, signers[0]!, start, start + 255n);
      const out = await submit(set, data, signSorted(data, signers));
      assert.ok(out.ok, out.revert);
      start += 256n;
    }
    return start;
  }

  it('unstake: notice of one epoch, claim after the withdrawal delay, stake and NFT returned', async () => {
    const { set, vals } = await withValidators(4);
    const leaving = vals[3]!;
    const id = (await set.chain.call('StakeManager', set.stakeManager, 'signerToValidator', [leaving.signerAddress]))[0] as bigint;
    assert.equal((await set.chain.send(vals[0]!.owner, 'StakeManager', set.stakeManager, 'unstake', [id])).revert, "StakeManager: not the validator's owner");
    const out = await set.chain.send(leaving.owner, 'StakeManager', set.stakeManager, 'unstake', [id]);
    assert.ok(out.ok, out.revert);
    const init = out.logs.find((l) => l.name === 'UnstakeInit')!;
    assert.equal(init.args.deactivationEpoch, 2n);
    assert.equal(init.args.nonce, 2n);
    assert.equal((await set.chain.send(leaving.owner, 'StakeManager', set.stakeManager, 'unstake', [id])).revert, 'StakeManager: not an active validator');
    // Still active for this epoch: its signature counts and the set size is still 4 (needs 3).
    let next = await advance(set, vals, 0n, 1, [vals[0]!, vals[1]!, leaving]);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'currentValidatorSetSize'))[0], 3n);
    // Now inactive: 3 validators need 3 signatures, and the leaver's does not count.
    const data = checkpoint(set, vals[0]!, next, next + 255n);
    assert.equal((await submit(set, data, signSorted(data, [vals[0]!, vals[1]!, leaving]))).revert, '2/3+1 non-majority!');
    // Claim after deactivation (2) + delay (4) = epoch 6.
    assert.equal((await set.chain.send(leaving.owner, 'StakeManager', set.stakeManager, 'unstakeClaim', [id])).revert, 'StakeManager: withdrawal delay not over');
    next = await advance(set, vals.slice(0, 3), next, 3);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'currentEpoch'))[0], 5n);
    assert.equal((await set.chain.send(leaving.owner, 'StakeManager', set.stakeManager, 'unstakeClaim', [id])).revert, 'StakeManager: withdrawal delay not over');
    next = await advance(set, vals.slice(0, 3), next, 1);
    const claim = await set.chain.send(leaving.owner, 'StakeManager', set.stakeManager, 'unstakeClaim', [id]);
    assert.ok(claim.ok, claim.revert);
    assert.equal(claim.logs.find((l) => l.name === 'Unstaked')!.args.amount, 2000n * E18);
    const bal = (await set.chain.call('BttToken', set.token, 'balanceOf', [leaving.owner.addressHex]))[0] as bigint;
    assert.ok(bal >= 2000n * E18, 'stake returned (plus its rewards)');
    assert.equal((await set.chain.call('StakingNFT', set.nft, 'balanceOf', [leaving.owner.addressHex]))[0], 0n);
    // Its signer is free again and the owner may stake anew.
    assert.ok((await stake(set, leaving)).ok);
  });

  it('updateSigner: too soon refused; afterwards the new key counts and the old one does not', async () => {
    const { set, vals } = await withValidators(4);
    const v = vals[1]!;
    const id = (await set.chain.call('StakeManager', set.stakeManager, 'signerToValidator', [v.signerAddress]))[0] as bigint;
    const fresh = makeValidator('fresh');
    assert.equal((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'updateSigner', [id, fresh.pubkey])).revert, 'StakeManager: signer update too soon');
    const next = await advance(set, vals, 0n, 2);
    assert.equal((await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'updateSigner', [id, vals[2]!.pubkey])).revert, 'StakeManager: signer already in use');
    const out = await set.chain.send(v.owner, 'StakeManager', set.stakeManager, 'updateSigner', [id, fresh.pubkey]);
    assert.ok(out.ok, out.revert);
    const ev = out.logs.find((l) => l.name === 'SignerChange')!;
    assert.equal(ev.args.oldSigner.toLowerCase(), v.signerAddress);
    assert.equal(ev.args.newSigner.toLowerCase(), fresh.signerAddress);
    const moved: Validator = { ...v, signer: fresh.signer, pubkey: fresh.pubkey, signerAddress: fresh.signerAddress };
    const others = vals.filter((x) => x !== v);
    // 4 validators need 3; two others + the old key = only 2 count.
    const data = checkpoint(set, vals[0]!, next, next + 255n);
    assert.equal((await submit(set, data, signSorted(data, sortBySigner([others[0]!, others[1]!, v])))).revert, '2/3+1 non-majority!');
    const ok = await submit(set, data, signSorted(data, sortBySigner([others[0]!, others[1]!, moved])));
    assert.ok(ok.ok, ok.revert);
  });

  it('rewards: 10% proposer bonus, the rest shared by the active set; withdrawRewards pays out', async () => {
    const { set, vals } = await withValidators(4);
    const proposer = vals[2]!;
    const data = checkpoint(set, proposer, 0n, 255n);
    const out = await submit(set, data, signSorted(data, vals));
    const ev = out.logs.find((l) => l.name === 'CheckpointRewarded')!;
    assert.equal(ev.args.reward, 1000n * E18);
    assert.equal(ev.args.proposerBonus, 100n * E18);
    const idOf = async (v: Validator) => (await set.chain.call('StakeManager', set.stakeManager, 'signerToValidator', [v.signerAddress]))[0] as bigint;
    const rewardOf = async (v: Validator) => (await set.chain.call('StakeManager', set.stakeManager, 'validatorReward', [await idOf(v)]))[0] as bigint;
    assert.equal(await rewardOf(proposer), 100n * E18 + 225n * E18);
    assert.equal(await rewardOf(vals[0]!), 225n * E18);
    // A half-length checkpoint earns half.
    const half = checkpoint(set, vals[0]!, 256n, 383n);
    const out2 = await submit(set, half, signSorted(half, vals));
    assert.equal(out2.logs.find((l) => l.name === 'CheckpointRewarded')!.args.reward, 500n * E18);
    const w = await set.chain.send(proposer.owner, 'StakeManager', set.stakeManager, 'withdrawRewards', [await idOf(proposer)]);
    assert.ok(w.ok, w.revert);
    const paid = 325n * E18 + 112_500_000_000_000_000_000n;
    assert.equal(w.logs.find((l) => l.name === 'ClaimRewards')!.args.amount, paid);
    assert.equal((await set.chain.call('BttToken', set.token, 'balanceOf', [proposer.owner.addressHex]))[0], paid);
    assert.equal(await rewardOf(proposer), 0n);
  });

  it('submitCheckpointSync: numbered per root chain, 2/3+1 signed', async () => {
    const { set, vals } = await withValidators(4);
    const { AbiCoder } = await import('ethers');
    const enc = (n: bigint) => hexToBytes(AbiCoder.defaultAbiCoder().encode(['address', 'uint256', 'uint256', 'uint256', 'uint256'], [vals[0]!.signerAddress, 0n, 255n, n, 2n]));
    assert.equal(
      (await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'submitCheckpointSync', [enc(2n), signSorted(enc(2n), vals)])).revert,
      'StakeManager: checkpoint number must follow the last synced one',
    );
    assert.equal((await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'submitCheckpointSync', [enc(1n), signSorted(enc(1n), vals.slice(0, 2))])).revert, '2/3+1 non-majority!');
    const ok = await set.chain.send(set.gov, 'StakeManager', set.stakeManager, 'submitCheckpointSync', [enc(1n), signSorted(enc(1n), vals)]);
    assert.ok(ok.ok, ok.revert);
    // BTTC's event: CheckpointSyncAck(proposer, chainId, checkpointId, start, end), from StakingInfo.
    const ack = ok.logs.find((l) => l.name === 'CheckpointSyncAck')!;
    assert.equal(ack.args.checkpointId, 1n);
    assert.equal(ack.args.chainId, 2n);
    assert.equal(ack.address, set.stakingInfo);
    assert.equal((await set.chain.call('StakeManager', set.stakeManager, 'currentHeaderBlockId', [2n]))[0], 1n);
  });
});

describe('StateSender', () => {
  it('only a registered sender syncs; ids count up from 1', async () => {
    const set = await deployRootSet();
    const sender = testKey('sender');
    await set.chain.fund(sender.addressHex);
    const receiver = '0x' + '11'.repeat(20);
    assert.equal((await set.chain.send(sender, 'StateSender', set.stateSender, 'syncState', [receiver, '0x1234'])).revert, 'StateSender: sender not registered for receiver');
    assert.equal((await set.chain.send(sender, 'StateSender', set.stateSender, 'register', [sender.addressHex, receiver])).revert, 'StateSender: only owner registers');
    await set.chain.must(set.gov, 'StateSender', set.stateSender, 'register', [sender.addressHex, receiver]);
    for (const n of [1n, 2n]) {
      const out = await set.chain.send(sender, 'StateSender', set.stateSender, 'syncState', [receiver, '0x1234']);
      const ev = out.logs.find((l) => l.name === 'StateSynced')!;
      assert.equal(ev.args.id, n);
      assert.equal(ev.args.contractAddress.toLowerCase(), receiver);
      assert.equal(ev.args.data, '0x1234');
    }
    assert.equal((await set.chain.call('StateSender', set.stateSender, 'counter'))[0], 2n);
  });
});
