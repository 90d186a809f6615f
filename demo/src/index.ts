/**
 * @ghostguard/demo: `pnpm demo` (bin `ghostguard-demo`), the guard over recorded scanner, ghost and legitimate
 * traffic, and live over loopback through the H.323 gate and the drachtio, Asterisk and FreeSWITCH adapters
 * against stand-ins. The package's whole public surface.
 */
export { type LiveAsteriskDemoResult, runLiveAsteriskDemo } from './live-asterisk.js';
export { type LiveDrachtioDemoResult, runLiveDrachtioDemo } from './live-drachtio.js';
export { type LiveFreeswitchDemoResult, runLiveFreeswitchDemo } from './live-freeswitch.js';
export { type LiveH323DemoResult, runLiveH323Demo } from './live-h323.js';
export { readdressed } from './readdress.js';
export { DEMO_CONFIG, recordingPath } from './recordings.js';
export { runDemo } from './run-demo.js';
export { DEMO_SCENARIOS, type DemoScenario } from './scenarios.js';
