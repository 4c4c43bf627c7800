/**
 * The lifecycle of a run, declared once for the store (which enforces it),
 * the run service and the CLI (which decide what to do with a run) and the
 * renderer (which shows what can be done with it).
 */

/** Every status a run can have. `interrupted` marks a run whose process died while it trained or waited. */
export const runStatuses = [
  'queued',
  'running',
  'completed',
  'stopped',
  'failed',
  'diverged',
  'interrupted',
] as const;
export type RunStatus = (typeof runStatuses)[number];

const active = ['queued', 'running'] as const satisfies readonly RunStatus[];
const terminal = [
  'completed',
  'stopped',
  'failed',
  'diverged',
  'interrupted',
] as const satisfies readonly RunStatus[];
export type ActiveStatus = (typeof active)[number];
export type TerminalStatus = (typeof terminal)[number];

// Typed as lists of RunStatus so that `list.includes(status)` takes any status.

/** In the worker's hands: waiting in the queue or training. Such a run cannot be deleted or resumed. */
export const activeStatuses: readonly RunStatus[] = active;

/** Over: the run has a finish time and no owning process. */
export const terminalStatuses: readonly RunStatus[] = terminal;

/** Over before its last epoch: `runs:resume` continues it from its checkpoint. */
export const resumableStatuses: readonly RunStatus[] = ['stopped', 'failed', 'diverged', 'interrupted'];

/** Ended by something going wrong (an error, or losses that became NaN): shown as an error. */
export const failureStatuses: readonly RunStatus[] = ['failed', 'diverged'];

/**
 * The status changes a run may make. A finished run (any terminal status) may
 * only be queued or started again (resume); anything else is a race in the
 * caller (e.g. a stop arriving after the run completed).
 */
export const allowedTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'stopped', 'failed', 'interrupted'],
  running: ['completed', 'stopped', 'failed', 'diverged', 'interrupted'],
  completed: ['queued', 'running'],
  stopped: ['queued', 'running'],
  failed: ['queued', 'running'],
  diverged: ['queued', 'running'],
  interrupted: ['queued', 'running'],
};

export function isRunStatus(value: unknown): value is RunStatus {
  return (runStatuses as readonly unknown[]).includes(value);
}

export function isActive(status: RunStatus): status is ActiveStatus {
  return activeStatuses.includes(status);
}

export function isTerminal(status: RunStatus): status is TerminalStatus {
  return terminalStatuses.includes(status);
}

export function isResumable(status: RunStatus): boolean {
  return resumableStatuses.includes(status);
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return allowedTransitions[from].includes(to);
}
