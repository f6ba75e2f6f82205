/** Checkpoint records, sign bytes, signature sets, calldata, range choice and the BLS form (spec §4–§5). */
export * from './checkpoint.ts';
export * from './checkpoint-sync.ts';
export * from './calldata.ts';
export * from './interface.ts';
export * from './signature-set.ts';
export * from './range.ts';
export * from './bls-aggregate.ts';
