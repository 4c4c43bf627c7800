import type { Migration } from './migration';

/**
 * Tags on runs, and the indexes behind the runs list's filters and sorts.
 *
 * Tags are a JSON array of strings in one column rather than a join table:
 * they are shown with every listed run and matched by the list's text filter,
 * and a column avoids a GROUP BY over a second table for each list.
 * Existing runs get no tags.
 */
export const migration: Migration = {
  version: 2,
  name: 'run-tags-and-list-indexes',
  up(db) {
    db.exec(`
      ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
      CREATE INDEX runs_by_status ON runs (status, created_at);
      CREATE INDEX runs_by_dataset ON runs (dataset, created_at);
      CREATE INDEX runs_by_test_loss ON runs (last_test_loss);
    `);
  },
};
