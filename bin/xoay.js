#!/usr/bin/env node
// The `xoay` command: a thin launcher for the compiled CLI (run `npm run build` after changing sources).
import '../dist/cli/main.js';
