import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunStatus } from '../../shared/run';

/**
 * Which process a queued or running run belongs to, and whether that process
 * is still there. The app and the CLI may open the same database at once; a
 * run is theirs while they live, and an orphan (to be marked `interrupted`)
 * once they are gone.
 */

/**
 * This machine, and on Linux this boot of it: a pid recorded before a reboot
 * may belong to an unrelated process now, so runs of an earlier boot count as
 * orphaned whatever their pid.
 */
function hostIdentity(): string {
  try {
    return `${hostname()} boot ${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
  } catch {
    return hostname();
  }
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tokens of the stores open in this process: their runs are alive even though the pid is ours. */
const liveTokens = new Set<string>();

/** The owner columns of a run as stored. */
export interface OwnerColumns {
  owner_pid: number | null;
  owner_host: string | null;
  owner_token: string | null;
}

/** What the owner columns are set to; all null for a run nobody owns (a finished one). */
export interface OwnerParams {
  ownerPid: number | null;
  ownerHost: string | null;
  ownerToken: string | null;
}

const nobody: OwnerParams = { ownerPid: null, ownerHost: null, ownerToken: null };

/** One open store's claim on the runs it queues or trains. */
export class Ownership {
  /** Tells this store's runs from those of another store opened in the same process (tests, a CLI in-process). */
  private readonly token = randomUUID();
  private readonly host = hostIdentity();

  constructor() {
    liveTokens.add(this.token);
  }

  /** The owner columns of a run this store takes on (`owned`), or of a run nobody owns. */
  params(owned: boolean): OwnerParams {
    return owned ? { ownerPid: process.pid, ownerHost: this.host, ownerToken: this.token } : nobody;
  }

  /**
   * True when the run's owner is gone: another host (WAL databases cannot be
   * shared across hosts, so that file was copied), a pid that no longer
   * exists, or this process's pid with no store open under the recorded token.
   */
  isOrphaned(run: OwnerColumns): boolean {
    if (run.owner_pid === null || run.owner_host !== this.host) return true;
    if (run.owner_pid === process.pid) return run.owner_token === null || !liveTokens.has(run.owner_token);
    return !processAlive(run.owner_pid);
  }

  /** The store closed: runs still recorded under its token are orphans from now on. */
  release(): void {
    liveTokens.delete(this.token);
  }
}

/** What the user reads on a run found orphaned. */
export function interruptedMessage(status: RunStatus): string {
  return status === 'running'
    ? 'The process training this run ended before it finished; resume continues from the last checkpoint.'
    : 'The app closed while this run was waiting in the queue; resume starts it.';
}
