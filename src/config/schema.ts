import type { FieldSpec } from './validate.ts';

const second = (min: number, max: number): FieldSpec => ({ type: 'int', min, max });
const fraction: FieldSpec = { type: 'number', min: 0, max: 1 };

export const nodeConfigSchema: FieldSpec = {
  type: 'object',
  fields: {
    network: { type: 'string', pattern: /^[a-z0-9-]+$/, describe: 'a lower-case network name (letters, digits, dashes)' },
    // Paths relative to the preset file (config/genesis/… for mainnet and Donau).
    genesis: { type: 'optional', of: { type: 'object', fields: { bttc: { type: 'string' }, delivery: { type: 'string' } } } },
    bttc: {
      type: 'object',
      fields: {
        chainId: { type: 'int', min: 1, max: 2 ** 32 },
        period: second(1, 60),
        producerDelay: second(0, 600),
        backupMultiplier: second(0, 600),
        sprint: { type: 'int', min: 1, max: 65536 },
        spanLength: { type: 'int', min: 1, max: 10_000_000 },
        firstSpanEnd: { type: 'int', min: 0, max: 10_000_000 },
        producerCount: { type: 'int', min: 1, max: 1000 },
        genesisGasLimit: { type: 'int', min: 21000, max: 1_000_000_000 },
        gasLimit: { type: 'int', min: 21000, max: 1_000_000_000 },
        maxFutureBlockTime: second(0, 3600),
        validatorSetContract: { type: 'address' },
        stateReceiverContract: { type: 'address' },
        systemAddress: { type: 'address' },
        stateReceiverGas: { type: 'int', min: 21000, max: 100_000_000 },
      },
    },
    delivery: {
      type: 'object',
      fields: {
        chainId: { type: 'string', pattern: /^[a-z0-9-]+$/, describe: 'a Delivery chain id such as "delivery-199"' },
        maxBlockBytes: { type: 'int', min: 1024, max: 100 * 1024 * 1024 },
      },
    },
    checkpoint: {
      type: 'object',
      fields: {
        bufferTime: second(1, 86400),
        avgLength: { type: 'int', min: 2, max: 32768 },
        maxLength: { type: 'int', min: 2, max: 32768 },
        forcePushAfter: second(1, 7 * 86400),
        noAckWait: second(1, 7 * 86400),
        bttcConfirmations: { type: 'int', min: 0, max: 10000 },
      },
    },
    rootChains: {
      type: 'array',
      minLength: 1,
      of: {
        type: 'object',
        fields: {
          name: { type: 'string', pattern: /^[a-z0-9-]+$/, describe: 'a lower-case root chain name' },
          id: { type: 'int', min: 1, max: 99 },
          kind: { type: 'enum', values: ['evm', 'tron'] },
          confirmations: { type: 'int', min: 0, max: 10000 },
          stakeManager: { type: 'address', nullable: true },
          rootChain: { type: 'address', nullable: true },
          stateSender: { type: 'address', nullable: true },
          stakingInfo: { type: 'address', nullable: true },
          // Issue 18: the Governor whose ProposalCreated events Delivery's gov module mirrors (staking chain only).
          governor: { type: 'optional', of: { type: 'address' } },
          rpcUrl: { type: 'url', nullable: true },
        },
      },
    },
    staking: {
      type: 'object',
      fields: {
        minStake: { type: 'bigint', min: 1n },
        validatorThreshold: { type: 'int', min: 1, max: 10000 },
        withdrawalDelay: { type: 'int', min: 0, max: 1_000_000 },
        proposerBonusPercent: { type: 'int', min: 0, max: 100 },
        minDeliveryFee: { type: 'bigint', min: 0n },
      },
    },
    governance: {
      type: 'object',
      fields: {
        minDeposit: { type: 'bigint', min: 0n },
        depositPeriod: second(1, 365 * 86400),
        votingPeriod: second(1, 365 * 86400),
        quorum: fraction,
        threshold: fraction,
        veto: fraction,
      },
    },
    slashing: {
      type: 'object',
      fields: {
        enabled: { type: 'bool' },
        signedBlocksWindow: { type: 'int', min: 1, max: 1_000_000 },
        minSignedPerWindow: fraction,
        downtimeJailDuration: second(0, 365 * 86400),
        slashFractionDoubleSign: fraction,
        slashFractionDowntime: fraction,
        slashFractionLimit: fraction,
        jailFractionLimit: fraction,
        maxEvidenceAge: second(1, 365 * 86400),
        challengeWindow: { type: 'int', min: 1, max: 1_000_000 },
        slashFractionEquivocation: fraction,
        jailEpochsDoubleSign: { type: 'int', min: 0, max: 1000 },
        jailEpochsEquivocation: { type: 'int', min: 0, max: 1000 },
        jailEpochsDowntime: { type: 'int', min: 0, max: 1000 },
        unbondingHeights: { type: 'int', min: 1, max: 100_000_000 },
      },
    },
  },
};
