#!/usr/bin/env node
// Runs the built CLI (scripts/build.mjs writes dist/cli.js).
import { main } from '../dist/cli.js';
await main(process.argv.slice(2));
