// See index.d.ts: the testing entry point with drachtio-srf's missing members.
/// <reference path="../src/drachtio-srf-gaps.d.ts" />
export * from '../dist/testing.js';
