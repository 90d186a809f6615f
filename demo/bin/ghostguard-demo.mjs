#!/usr/bin/env node
// Installed entry point: runs the compiled demo (`pnpm build` first when working from a checkout; `pnpm demo` runs the sources).
import '../dist/bin.js';
