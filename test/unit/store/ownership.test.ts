import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Ownership } from '../../../src-main/store/ownership';

/** The owner columns a store writes for a run it takes on, as read back from the database. */
function columns(owner: Ownership) {
  const { ownerPid, ownerHost, ownerToken } = owner.params(true);
  return { owner_pid: ownerPid, owner_host: ownerHost, owner_token: ownerToken };
}

describe('run ownership', () => {
  it('keeps the runs of a store open in this process and orphans them once it is released', () => {
    const owner = new Ownership();
    const mine = columns(owner);
    expect(mine.owner_pid).toBe(process.pid);
    expect(mine.owner_host).toContain(hostname());
    expect(owner.isOrphaned(mine)).toBe(false);
    // Another store of this process sees them alive too: the token, not the pid, says so.
    const other = new Ownership();
    expect(other.isOrphaned(mine)).toBe(false);
    owner.release();
    expect(other.isOrphaned(mine)).toBe(true);
    other.release();
  });

  it('orphans runs of another host, of no owner, and of a process that is gone', () => {
    const owner = new Ownership();
    const mine = columns(owner);
    expect(owner.isOrphaned({ ...mine, owner_host: 'elsewhere boot 1' })).toBe(true);
    expect(owner.isOrphaned({ owner_pid: null, owner_host: null, owner_token: null })).toBe(true);
    expect(owner.isOrphaned({ ...mine, owner_token: null })).toBe(true);
    // Above Linux's largest pid (2^22): no such process.
    expect(owner.isOrphaned({ ...mine, owner_pid: 2 ** 22 + 1, owner_token: null })).toBe(true);
    // A live process of this host (our parent) owns its runs whatever the token.
    expect(owner.isOrphaned({ ...mine, owner_pid: process.ppid, owner_token: null })).toBe(false);
    expect(owner.params(false)).toEqual({ ownerPid: null, ownerHost: null, ownerToken: null });
    owner.release();
  });
});
