import { describe, expect, it } from 'vitest';
import {
  activeStatuses,
  allowedTransitions,
  canTransition,
  isActive,
  isResumable,
  isRunStatus,
  isTerminal,
  resumableStatuses,
  runStatuses,
  terminalStatuses,
} from '../../../shared/run-status';

describe('run statuses', () => {
  it('splits every status into active or terminal, exactly once', () => {
    expect([...activeStatuses, ...terminalStatuses].sort()).toEqual([...runStatuses].sort());
    expect(runStatuses.filter(isActive)).toEqual(['queued', 'running']);
    expect(runStatuses.filter(isTerminal)).toEqual([
      'completed',
      'stopped',
      'failed',
      'diverged',
      'interrupted',
    ]);
  });

  it('resumes every terminal status but completed', () => {
    expect(runStatuses.filter(isResumable)).toEqual(['stopped', 'failed', 'diverged', 'interrupted']);
    expect(resumableStatuses.every(isTerminal)).toBe(true);
  });

  it('allows exactly the lifecycle: queue → run → end, and an ended run back to queued or running', () => {
    const allowed = runStatuses.flatMap((from) =>
      runStatuses.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed).toEqual([
      'queued→running',
      'queued→stopped',
      'queued→failed',
      'queued→interrupted',
      'running→completed',
      'running→stopped',
      'running→failed',
      'running→diverged',
      'running→interrupted',
      ...terminalStatuses.flatMap((s) => [`${s}→queued`, `${s}→running`]),
    ]);
    // Nothing moves to a status it already has, and every target is a status.
    for (const [from, targets] of Object.entries(allowedTransitions)) {
      expect(targets).not.toContain(from);
      expect(targets.every(isRunStatus)).toBe(true);
    }
    expect(isRunStatus('paused')).toBe(false);
  });
});
