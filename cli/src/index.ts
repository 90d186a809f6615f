export { analyzeFile, type FileAnalysis, type JudgedAttempt } from './analyze/analysis.js';
export { detectFormat, type InputFormat, readInputFile } from './analyze/input-file.js';
export { type InputRecord, NOT_JUDGED_REASONS, type NotJudgedReason } from './analyze/records.js';
export { readCapture } from './capture/index.js';
export { DEMO_CONFIG } from './commands/demo.js';
export { DaemonSectionSchema } from './daemon/daemon-config.js';
export { DEMO_SCENARIOS, type DemoScenario } from './demo/scenarios.js';
export { EXIT_USAGE, main } from './main.js';
export { bufferOutput, type Output } from './output.js';
