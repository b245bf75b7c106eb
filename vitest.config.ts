import { defineConfig } from 'vitest/config';

// Three projects: `spec` (the MongoDB specification runners, reading $MONGO_SPECS_DIR),
// `unified` (the Unified Test Format runner, also reading it) and `unit` (everything else). Workspace packages resolve to their TypeScript
// sources through the `source` export condition.
const resolve = { conditions: ['source', 'module', 'import', 'default'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    projects: [
      {
        resolve,
        ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
        test: {
          name: 'spec',
          include: ['packages/*/test/spec/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
        test: {
          // The Unified Test Format runner: every official unified suite against mongod-sim,
          // with the official driver and with ours (packages/core/test/unified).
          name: 'unified',
          include: ['packages/core/test/unified/**/*.test.ts'],
          // the two drivers' files in parallel: their time is mostly waiting on the sims
          maxWorkers: 2,
          // its own group, after the spec and unit projects (vitest requires a group of its
          // own for a different maxWorkers; it also keeps its sims off the loaded phase)
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['packages/*/test/spec/**', 'packages/core/test/unified/**', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
