/** Shared by the evidence-package tests. */
import { AuditError } from '../../src/audit/interface.ts';
import { parsePackageText, verifyPackage } from '../../src/audit-log/evidence.ts';

/** Does the package text still verify offline? A parse error counts as "does not". */
export async function packageVerifies(text: string): Promise<boolean> {
  try {
    return (await verifyPackage(parsePackageText(text, 'pkg'), null)).ok;
  } catch (err) {
    if (err instanceof AuditError) return false;
    throw err;
  }
}
