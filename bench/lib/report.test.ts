/** The report keeps the hand-written records of the docs file it replaces. */
import { describe, expect, it } from 'vitest';
import { handWrittenRecords, RECORDS_MARKER, renderMarkdown } from './report.js';
import { RESULTS_SCHEMA, type BenchResults } from './runner.js';

const results: BenchResults = {
  schema: RESULTS_SCHEMA,
  quick: true,
  machine: {
    cpuModel: 'test',
    cores: 2,
    memoryBytes: 2 ** 30,
    platform: 'linux',
    release: '6',
    arch: 'x64',
    node: 'v20',
    v8: '11',
    loadAverage: [1, 1, 1],
    date: '2026-12-06T00:00:00.000Z',
  },
  totalSeconds: 1,
  sections: {},
  metrics: {},
  targets: [],
};
const render = (records?: string) => renderMarkdown(results, { chartsPath: '../bench/results', records });

describe('hand-written records in docs/benchmarks.md', () => {
  it('are carried from the file it replaces to the new one, before the results-file heading', () => {
    const records = `${RECORDS_MARKER}\n\n## A record\n\nmeasured by hand\n`;
    const previous = render(records);
    expect(handWrittenRecords(previous)).toBe(records);
    const next = render(handWrittenRecords(previous));
    expect(next).toBe(previous);
    expect(next.indexOf('measured by hand')).toBeLessThan(next.indexOf('\n## The results file\n'));
  });

  it('are empty when the file has no marker, and an error when the heading after the marker is gone', () => {
    expect(handWrittenRecords(render())).toBe('');
    expect(() => handWrittenRecords(`${RECORDS_MARKER}\n## A record\n`)).toThrow(/missing/);
  });

  it('are found in the docs file as it is', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/benchmarks.md', import.meta.url), 'utf8');
    const records = handWrittenRecords(doc);
    expect(records.startsWith(RECORDS_MARKER)).toBe(true);
    expect(records).toContain('## Bulk inserts: each document encoded once');
  });
});
