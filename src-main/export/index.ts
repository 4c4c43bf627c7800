/** Report export: figures, CSVs, hyperparameters and the TensorFlow.js model of a run. */
export { exportReport, type ExportReportArgs, type ExportReportResult } from './report';
export { decoderModelFiles, encoderModelFiles, type ModelFiles } from './tfjs-model';
export { exportCompareReport, type ExportCompareArgs, type ExportCompareResult } from './compare-report';
