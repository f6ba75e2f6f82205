export { LoadTest, type LoadTestOptions, type LoadReport, type LoadMode, type Progress } from './runner.ts';
export { readKeysFile, mnemonicAccounts, accountFromKey, type LoadAccount } from './accounts.ts';
export { formatReport } from './report.ts';
export { JsonRpcClient, RpcCallError } from './rpc.ts';
export { loadTokenArtifact } from './token.ts';
