// The package's types as installed: the compiled declarations plus drachtio-srf's missing members
// (src/drachtio-srf-gaps.d.ts, an ambient augmentation tsc does not carry into dist/), so an app that
// imports @ghostguard/drachtio sees the same Srf the plugin was compiled against.
/// <reference path="../src/drachtio-srf-gaps.d.ts" />
export * from '../dist/index.js';
