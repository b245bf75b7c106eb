// Runs the CLI from source (spawnSim uses it under `node --import tsx` when not bundled).
import { main } from './cli.js';
import { mongosMain } from './mongos/cli.js';
const argv = process.argv.slice(2);
await (argv.includes('--mongos') ? mongosMain(argv) : main(argv));
