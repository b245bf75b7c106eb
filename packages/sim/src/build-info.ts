/** The buildInfo reply, shared by mongod-sim and its mongos router. */
import { SIM_VERSION, SIM_VERSION_ARRAY } from './node.js';
import { MAX_BSON_OBJECT_SIZE } from './storage/engine.js';
import type { Doc } from './storage/values.js';

export function buildInfo(storageEngines: readonly string[]): Doc {
  return {
    version: SIM_VERSION,
    gitVersion: '0000000000000000000000000000000000000000',
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    versionArray: [...SIM_VERSION_ARRAY],
    openssl: { running: 'disabled', compiled: 'disabled' },
    buildEnvironment: { distmod: 'mongod-sim', distarch: process.arch, target_os: process.platform },
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: [...storageEngines],
  };
}
