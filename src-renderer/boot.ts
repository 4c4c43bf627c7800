import { connect } from './api/client';
import { defaultRunsQuery, firstPageSize, runsListChanges, runsPage } from './lib/runs-query';

// The page's first script, small so that it runs while the app's own scripts still load:
// it opens the connection and, on the runs list, asks for the list's first page with it, so
// both are on their way before the app mounts (main.ts takes the same connection).

const onRunsList = /^#\/runs\/?(\?.*)?$/.test(globalThis.location.hash);
connect(
  onRunsList
    ? { command: 'runs:list', arg: runsPage(defaultRunsQuery(), firstPageSize), staleOn: runsListChanges }
    : undefined,
  // main.ts shows why the connection failed.
).catch(() => undefined);
