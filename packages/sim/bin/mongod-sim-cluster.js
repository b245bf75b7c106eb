#!/usr/bin/env node
import { main } from '../dist/cluster-cli.js';
await main(process.argv.slice(2));
