/**
 * systemd service units for a testnet's processes: one per process, restarted on failure, stopped
 * with SIGTERM (the node and root chain shut down cleanly on it) and given time to finish.
 */

export interface UnitSpec {
  description: string;
  workDir: string;
  /** Absolute binary, then its arguments. */
  exec: string[];
  /** Units this one starts after (on the same host). */
  after?: string[];
}

/** systemd quoting: arguments with blanks or quotes in double quotes, `\` and `"` escaped, `%` doubled. */
function quote(arg: string): string {
  const a = arg.replaceAll('%', '%%');
  return /[\s"'\\]/.test(a) ? `"${a.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : a;
}

export function systemdUnit(u: UnitSpec): string {
  const after = ['network-online.target', ...(u.after ?? [])];
  return [
    '[Unit]',
    `Description=${u.description}`,
    `Wants=network-online.target`,
    `After=${after.join(' ')}`,
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${quote(u.workDir)}`,
    `ExecStart=${u.exec.map(quote).join(' ')}`,
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    'Restart=on-failure',
    'RestartSec=5',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
