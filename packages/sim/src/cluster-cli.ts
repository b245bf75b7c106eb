/** `mongod-sim-cluster`: a replica set of sims in one process. Not implemented yet (next: the replica-set layer). */
export async function main(_argv: readonly string[]): Promise<void> {
  process.stderr.write('mongod-sim-cluster: replica sets are not implemented yet; run mongod-sim for a standalone\n');
  process.exit(2);
}
