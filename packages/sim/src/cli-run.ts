// Runs the CLI from source (spawnSim uses it under `node --import tsx` when not bundled).
import { main } from './cli.js';
await main(process.argv.slice(2));
