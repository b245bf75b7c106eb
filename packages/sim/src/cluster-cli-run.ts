// Runs mongod-sim-cluster from source (node --conditions=source --import tsx src/cluster-cli-run.ts).
import { main } from './cluster-cli.js';
await main(process.argv.slice(2));
