import type { FigureBackground, FigureFormat } from '../../shared/figures/svg';

/** What a report is written with: the folder and the same figure choices as the CLI's flags. */
export interface ReportChoices {
  dir: string;
  overwrite?: true;
  scale: number;
  formats: FigureFormat[];
  background: FigureBackground;
}
