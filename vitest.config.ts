import { defineConfig } from 'vitest/config';

// Two projects: `spec` (the MongoDB specification runners, reading $MONGO_SPECS_DIR)
// and `unit` (everything else). Workspace packages resolve to their TypeScript
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
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['packages/*/test/spec/**', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
