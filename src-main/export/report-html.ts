import { hyperparamFields, type NumberField } from '../../shared/hyperparams';
import type { RunDetail } from '../../shared/contract';
import type { EpochMetrics } from '../../shared/run';
import { escapeXml as esc } from '../../shared/figures/svg';

/**
 * `report.html`: one self-contained page (inline style, no script, no
 * network) that shows a run's report from the files beside it, so it opens
 * offline in any browser, from a USB stick or an email attachment.
 */

export interface HtmlFigure {
  name: string;
  title: string;
  caption: string;
  /** Files of the figure beside the page, e.g. `manifold.png`, `manifold.svg`. */
  files: string[];
  /** Size the image is shown at, in CSS pixels (figure units). */
  width: number;
  height: number;
}

const style = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --line: #d0d4da; --bg: #ffffff; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #9aa3ad; --line: #30363d; --bg: #16191d; } }
body { font: 15px/1.45 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); }
.muted, figcaption { color: var(--muted); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2rem 0.7rem; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; image-rendering: pixelated; background: #fff; }
.files a { margin-right: 0.8rem; }
`;

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

export function metricsTable(epochs: EpochMetrics[], chosen: number): string {
  const head =
    '<tr><th>epoch</th><th>train loss</th><th>test loss</th><th>test recon</th><th>test KL</th><th>β</th><th>seconds</th></tr>';
  const rows = epochs.map(
    (e) =>
      `<tr${e.epoch === chosen ? ' class="chosen" style="font-weight:bold"' : ''}><td>${e.epoch}</td><td>${fmt(e.train.loss)}</td><td>${fmt(e.test.loss)}</td><td>${fmt(e.test.recon)}</td><td>${fmt(e.test.kl)}</td><td>${fmt(e.beta, 3)}</td><td>${fmt(e.seconds, 1)}</td></tr>`,
  );
  return `<table class="metrics">${head}${rows.join('')}</table>`;
}

export function figureSection(f: HtmlFigure, prefix = ''): string {
  const png = f.files.find((x) => x.endsWith('.png'));
  const shown = png ?? f.files[0] ?? '';
  const links = f.files.map(
    (x) => `<a href="${esc(prefix + x)}">${esc(x.slice(x.lastIndexOf('.') + 1).toUpperCase())}</a>`,
  );
  return `<figure id="${esc(f.name)}"><h3>${esc(f.title)}</h3><img src="${esc(prefix + shown)}" width="${f.width}" height="${f.height}" alt="${esc(f.title)}"><figcaption>${esc(f.caption)} <span class="files">${links.join('')}</span></figcaption></figure>`;
}

export function page(title: string, body: string[], extraStyle = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${style}${extraStyle}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

/** The report page of one run. */
export function reportHtml(args: {
  run: RunDetail;
  epoch: number;
  datasetName: string;
  figures: HtmlFigure[];
  otherFiles: string[];
  appVersion?: string;
}): string {
  const { run, epoch } = args;
  const hp = Object.entries(run.hyperparams).map(
    ([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(hyperparamValueText(k, v))}</td></tr>`,
  );
  const body = [
    `<h1>${esc(run.name)}</h1>`,
    `<p class="muted">Run ${esc(run.id)} · dataset <b>${esc(args.datasetName)}</b> · status ${esc(run.status)} · figures of epoch <b>${epoch}</b> of ${run.epochsDone} · created ${esc(run.createdAt)}${run.backend ? ` · backend ${esc(run.backend)}` : ''} · VAE Studio ${esc(run.appVersion)}</p>`,
    run.notes ? `<p>${esc(run.notes)}</p>` : '',
    '<h2>Hyperparameters</h2>',
    `<table class="hyperparams">${hp.join('')}</table>`,
    '<h2>Metrics</h2>',
    metricsTable(run.epochs, epoch),
    '<h2>Figures</h2>',
    ...args.figures.map((f) => figureSection(f)),
    '<h2>Files</h2>',
    `<ul class="files">${args.otherFiles.map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`).join('')}</ul>`,
  ];
  return page(
    `${run.name} — VAE Studio report`,
    body.filter((s) => s !== ''),
  );
}

/** A hyperparameter's value as the reports show it: an empty setting says what empty means ("all", "every core"). */
export function hyperparamValueText(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') {
    const field = (hyperparamFields as Record<string, NumberField | undefined>)[key];
    return field?.nullable ? (field.whenEmpty ?? 'all') : '—';
  }
  if (Array.isArray(value))
    return value.length ? value.map((v) => hyperparamValueText('', v)).join(', ') : '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
