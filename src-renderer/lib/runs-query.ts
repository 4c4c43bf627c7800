import type { CommandArg, RunSortKey } from '../../shared/contract';
import type { RunStatus } from '../../shared/run';

// What the runs list asks the core for, apart from the store: the page's first script asks
// for the first page before the store exists, and must ask exactly what the store will.

/** Filters and order of the runs list. */
export interface RunsQuery {
  text: string;
  /** Empty: every status. */
  status: RunStatus | '';
  /** Empty: every dataset. */
  dataset: string;
  sort: RunSortKey;
  descending: boolean;
}

/** The first page is small so the first rows show at once; the rest follow in pages that each parse in a few ms. */
export const firstPageSize = 100;
export const pageSize = 1000;

/** The list as it opens: every run, newest first. */
export function defaultRunsQuery(): RunsQuery {
  return { text: '', status: '', dataset: '', sort: 'createdAt', descending: true };
}

/** The `runs:list` argument for one page of a query. */
export function runsPage(query: RunsQuery, limit: number, offset = 0): CommandArg<'runs:list'> {
  const text = query.text.trim();
  return {
    sort: query.sort,
    descending: query.descending,
    ...(text ? { text } : {}),
    ...(query.status ? { status: [query.status] } : {}),
    ...(query.dataset ? { dataset: query.dataset } : {}),
    limit,
    ...(offset > 0 ? { offset } : {}),
  };
}

/** Events after which an answer of `runs:list` may be out of date. */
export const runsListChanges = ['run:status', 'run:epoch'] as const;
