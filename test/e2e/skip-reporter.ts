import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** Prints why each skipped test was skipped, so a skip is never mistaken for a pass. */
export default class SkipReasonReporter implements Reporter {
  private readonly lines: string[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const reason = test.annotations.find((a) => a.type === 'skip')?.description ?? 'no reason given';
    this.lines.push(`  skipped: ${test.titlePath().slice(1).join(' › ')} — ${reason}`);
  }

  onEnd(): void {
    if (this.lines.length > 0) console.log(`\nSkipped tests and why:\n${this.lines.join('\n')}\n`);
  }
}
