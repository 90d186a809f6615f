#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (`pnpm build` first when working from a checkout).
import '../dist/bin.js';
