import type { RunComparison } from '../../shared/contract';
import { labelColor } from '../../shared/figures/palette';
import { escapeXml as esc } from '../../shared/figures/svg';
import type { RunDetail } from '../../shared/contract';
import { hyperparamValueText, page, type HtmlFigure } from './report-html';

/**
 * The compare report's `report.html`: like a run's report, one page with no
 * script and no network, showing several runs against each other.
 */

/** One run's figure in the side-by-side rows, or why it has none. */
export type CompareCell = { figure: HtmlFigure } | { missing: string };

export interface CompareRow {
  name: string;
  title: string;
  /** The caption every run's figure shares; empty when they differ, each figure then shows its own. */
  caption: string;
  /** One cell per run, in the runs' order. */
  cells: CompareCell[];
}

const compareStyle = `
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 0.4em; vertical-align: baseline; }
table.hyperparams th, table.hyperparams td, table.compare-metrics th, table.compare-metrics td { text-align: left; }
table.hyperparams td { overflow-wrap: anywhere; }
tr.differs td, tr.differs th { background: rgba(255, 196, 0, 0.22); font-weight: bold; }
tr.differs th::after { content: ' ≠'; }
td.best { font-weight: bold; text-decoration: underline; }
.side-by-side { display: grid; gap: 1rem; align-items: start; }
.side-by-side figure { margin: 0; min-width: 0; }
.side-by-side h4 { margin: 0 0 0.3rem; font-size: 0.95rem; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
`;

function fmt(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined) return '—';
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

function runHeader(names: string[]): string {
  return names
    .map((n, i) => `<th><span class="swatch" style="background:${labelColor(i)}"></span>${esc(n)}</th>`)
    .join('');
}

/**
 * Every hyperparameter (and dataset hash, backend, device, app version) with
 * one column per run; rows whose values differ between the runs are marked
 * `differs` (highlighted, ≠ after the name).
 */
export function hyperparamCompareTable(table: RunComparison['table'], names: string[]): string {
  const rows = table.map(
    (row) =>
      `<tr${row.differs ? ' class="differs"' : ''} data-key="${esc(row.key)}"><th>${esc(row.key)}</th>${row.values.map((v) => `<td>${esc(hyperparamValueText(row.key, v))}</td>`).join('')}</tr>`,
  );
  return `<table class="hyperparams"><tr><th></th>${runHeader(names)}</tr>${rows.join('')}</table>`;
}

/**
 * One row per run: epochs done and the last epoch's train and test loss with
 * their terms; the lowest final test loss is marked `best`.
 */
export function compareMetricsTable(runs: RunDetail[], names: string[]): string {
  const finals = runs.map((r) => r.epochs.at(-1) ?? null);
  const testLosses = finals.map((e) => (e && Number.isFinite(e.test.loss) ? e.test.loss : Infinity));
  const best = Math.min(...testLosses);
  const head =
    '<tr><th>run</th><th>epochs</th><th>train loss</th><th>train recon</th><th>train KL</th><th>test loss</th><th>test recon</th><th>test KL</th><th>seconds</th></tr>';
  const rows = runs.map((r, i) => {
    const e = finals[i];
    const seconds = r.epochs.reduce((sum, x) => sum + x.seconds, 0);
    const isBest = Number.isFinite(best) && testLosses[i] === best && runs.length > 1;
    return `<tr data-run="${esc(r.id)}"><th><span class="swatch" style="background:${labelColor(i)}"></span>${esc(names[i] ?? r.name)}</th><td>${r.epochsDone} of ${r.hyperparams.epochs}</td><td>${fmt(e?.train.loss)}</td><td>${fmt(e?.train.recon)}</td><td>${fmt(e?.train.kl)}</td><td${isBest ? ' class="best"' : ''}>${fmt(e?.test.loss)}</td><td>${fmt(e?.test.recon)}</td><td>${fmt(e?.test.kl)}</td><td>${fmt(seconds, 1)}</td></tr>`;
  });
  return `<table class="compare-metrics">${head}${rows.join('')}</table>`;
}

function figureLinks(files: string[], prefix: string): string {
  return files
    .map((x) => `<a href="${esc(prefix + x)}">${esc(x.slice(x.lastIndexOf('.') + 1).toUpperCase())}</a>`)
    .join('');
}

/** One figure kind with a column per run. */
export function sideBySide(row: CompareRow, runs: { id: string; name: string; dir: string }[]): string {
  const columns = Math.min(Math.max(runs.length, 1), 4);
  const cells = row.cells.map((cell, i) => {
    const run = runs[i] as { id: string; name: string; dir: string };
    const head = `<h4><span class="swatch" style="background:${labelColor(i)}"></span>${esc(run.name)}</h4>`;
    if ('missing' in cell)
      return `<figure data-run="${esc(run.id)}">${head}<p class="muted">${esc(cell.missing)}</p></figure>`;
    const f = cell.figure;
    const prefix = `${run.dir}/`;
    const shown = f.files.find((x) => x.endsWith('.png')) ?? f.files[0] ?? '';
    return `<figure data-run="${esc(run.id)}">${head}<img src="${esc(prefix + shown)}" width="${f.width}" height="${f.height}" alt="${esc(`${row.title} of ${run.name}`)}"><figcaption>${row.caption ? '' : `${esc(f.caption)} `}<span class="files">${figureLinks(f.files, prefix)}</span></figcaption></figure>`;
  });
  return `<section class="compare-figure" id="${esc(row.name)}"><h3>${esc(row.title)}</h3>${row.caption ? `<p class="muted">${esc(row.caption)}</p>` : ''}<div class="side-by-side" style="grid-template-columns: repeat(${columns}, minmax(0, 1fr))">${cells.join('')}</div></section>`;
}

/** The compare report page. */
export function compareHtml(args: {
  runs: RunDetail[];
  /** Names as shown (unique: a repeated name gets its id). */
  names: string[];
  /** Each run's folder of figures, relative to the page. */
  dirs: string[];
  comparison: RunComparison;
  epoch: number;
  loss: HtmlFigure;
  rows: CompareRow[];
  otherFiles: string[];
}): string {
  const { runs, names, epoch } = args;
  const datasets = [...new Set(runs.map((r) => r.hyperparams.dataset))];
  const differing = args.comparison.table.filter((r) => r.differs).map((r) => r.key);
  const lossPng = args.loss.files.find((x) => x.endsWith('.png')) ?? args.loss.files[0] ?? '';
  const body = [
    `<h1>Comparison of ${runs.length} runs</h1>`,
    `<p class="muted">${runs.map((r, i) => `<span class="swatch" style="background:${labelColor(i)}"></span>${esc(names[i] ?? r.name)} (${esc(r.id)})`).join(' · ')}</p>`,
    `<p class="muted">Dataset${datasets.length > 1 ? 's' : ''} <b>${datasets.map(esc).join(', ')}</b> · figures of epoch <b>${epoch}</b> of every run · VAE Studio ${esc(runs[0]?.appVersion ?? '')}</p>`,
    '<h2>Loss</h2>',
    `<figure id="loss"><img src="${esc(lossPng)}" width="${args.loss.width}" height="${args.loss.height}" alt="Loss per epoch of every run"><figcaption>${esc(args.loss.caption)} <span class="files">${figureLinks(args.loss.files, '')}</span></figcaption></figure>`,
    '<h2>Hyperparameters</h2>',
    `<p class="muted">${differing.length ? `Marked ≠: what differs between the runs (${differing.map(esc).join(', ')}).` : 'Every hyperparameter is the same.'}</p>`,
    `<div class="table-wrap">${hyperparamCompareTable(args.comparison.table, names)}</div>`,
    '<h2>Metrics</h2>',
    '<p class="muted">At each run\'s last epoch; the lowest test loss is underlined. Every epoch is in each run\'s metrics.csv.</p>',
    `<div class="table-wrap">${compareMetricsTable(runs, names)}</div>`,
    `<h2>Figures at epoch ${epoch}</h2>`,
    ...args.rows.map((row) =>
      sideBySide(
        row,
        runs.map((r, i) => ({ id: r.id, name: names[i] ?? r.name, dir: args.dirs[i] ?? r.id })),
      ),
    ),
    '<h2>Files</h2>',
    `<ul class="files">${args.otherFiles.map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`).join('')}</ul>`,
  ];
  return page(`Comparison of ${runs.length} runs — VAE Studio report`, body, compareStyle);
}
