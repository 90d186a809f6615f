export { analyzeFile, type FileAnalysis, type JudgedAttempt } from './analyze/analysis.js';
export { detectFormat, type InputFormat, readInputFile } from './analyze/input-file.js';
export { type InputRecord, NOT_JUDGED_REASONS, type NotJudgedReason } from './analyze/records.js';
export { sourceTable } from './analyze/report.js';
export { emptyActions, totals } from './analyze/summary.js';
export { renderTable } from './analyze/text-table.js';
export { DaemonSectionSchema } from './daemon/daemon-config.js';
export { EXIT_USAGE, main } from './main.js';
export { bufferOutput, type Output, processOutput } from './output.js';
