/** Delivery validator records and the proposer-priority validator set (spec §6). */
export * from './int64.ts';
export * from './validator.ts';
export * from './interface.ts';
export { ValidatorSet, ValidatorSetError, getUpdatedValidators } from './validator-set.ts';
