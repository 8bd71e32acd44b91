/** The result of one pre-flight check: a ✓ or ✗ line with, on ✗, how to fix it. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Prints checks one per line (`✓ name: detail` / `✗ name: detail` + `  fix: …`). */
export function renderChecks(checks: DoctorCheck[]): string {
  return checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n');
}
