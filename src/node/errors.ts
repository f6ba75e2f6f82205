/** A start that cannot proceed for a reason the operator can fix (the CLI prints it without a stack). */
export class NodeStartError extends Error {
  override name = 'NodeStartError';
}
