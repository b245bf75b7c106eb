/**
 * Smoke test: every benchmark section still runs (quick mode) and its results have the
 * expected keys and finite numbers. It never asserts speed.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './lib/report.js';
import { RESULTS_SCHEMA, runBench, type BenchResults } from './lib/runner.js';
import { SECTIONS } from './sections/index.js';

/** Metric keys each section reports when it runs (quick mode socket count for bridge_memory). */
const OPERATION_TASKS = ['run_command', 'find_one_by_id', 'small_doc_insert_one', 'find_many', 'small_doc_bulk_insert', 'large_doc_bulk_insert'];
const EXPECTED: Record<string, { keys: string[]; contenders: string[] }> = {
  operations: {
    keys: OPERATION_TASKS.flatMap((t) => [`operations.${t}`, `operations.${t}_us`, `operations.${t}_cpu`]),
    contenders: ['official', 'ours_tcp', 'ours_bridge'],
  },
  failover: {
    keys: ['kill_to_write', 'kill_election', 'kill_overhead', 'kill_w1_overhead', 'kill_w1_after_topology', 'kill_w1_exchanges', 'kill_to_topology', 'kill_topology_overhead', 'stepdown_to_topology', 'stepdown_election', 'stepdown_overhead', 'hello_rtt'].map(
      (k) => `failover.${k}`,
    ),
    contenders: ['ours_tcp'],
  },
  cold_start: {
    keys: ['first_result_ms', 'first_result_ms_no_delay', 'round_trips', 'exchanges', 'connections'].map((k) => `cold_start.${k}`),
    contenders: ['official', 'ours_tcp', 'ours_bridge'],
  },
  bson: {
    keys: ['flat_encode', 'flat_decode', 'deep_encode', 'deep_decode', 'full_encode', 'full_decode', 'opmsg_encode', 'opmsg_decode'].map((k) => `bson.${k}`),
    contenders: ['node', 'web', 'lite'],
  },
  bridge: { keys: ['bridge.rtt_64', 'bridge.rtt_1622', 'bridge.throughput_1mib'], contenders: ['direct', 'bridge', 'floor_relay', 'floor_tcp_relay'] },
  bundle: { keys: ['bundle.min_bytes', 'bundle.gzip_bytes', 'bundle.app_gzip_bytes'], contenders: ['bson'] },
  bridge_memory: { keys: ['bridge_memory.per_socket_50', 'bridge_memory.per_channel_50'], contenders: ['bridge'] },
  workerd: { keys: ['workerd.request_ms'], contenders: ['ours_global', 'ours_per_request', 'official_per_request', 'official_global', 'ours_do', 'official_do', 'floor_raw', 'floor_ping', 'ours_do_cold'] },
  selection: {
    keys: ['secondary_tags_staleness', 'secondary_tags', 'secondary_staleness', 'nearest', 'primary'].map((k) => `selection.${k}`),
    contenders: ['official', 'ours'],
  },
  change_streams: { keys: ['change_streams.latency_ms', 'change_streams.events_per_s'], contenders: ['official', 'ours_tcp', 'ours_bridge'] },
  transactions: { keys: ['transactions.transfers_per_s'], contenders: ['official', 'ours_tcp', 'ours_bridge'] },
  large_hello: {
    keys: [...[500, 5000, 10000].flatMap((n) => [`apply_${n}`, `topology_${n}`, `loop_block_${n}`]), 'per_member_ratio'].map((k) => `large_hello.${k}`),
    contenders: ['ours'],
  },
};

/** Sections with no prerequisite outside this repository: they must run. */
const MUST_RUN = ['bundle', 'selection', 'large_hello'];

describe('benchmarks (quick mode)', () => {
  let results: BenchResults;

  // The workerd section adds about 30 s (a replica set, two workerd processes); change_streams
  // and transactions about 30 s together (a one-member set each).
  it('runs every registered section', { timeout: 360_000 }, async () => {
    ({ results } = await runBench({ quick: true, sections: SECTIONS }));
    expect(results.schema).toBe(RESULTS_SCHEMA);
    expect(results.quick).toBe(true);
    expect(Object.keys(results.sections)).toEqual(SECTIONS.map((s) => s.name));
    for (const key of ['cpuModel', 'cores', 'memoryBytes', 'node', 'date'] as const) expect(results.machine[key]).toBeTruthy();
  });

  it('reports every section as ok or not run with a reason, never failed', () => {
    for (const [name, s] of Object.entries(results.sections)) {
      expect(s.status, `${name}: ${s.reason}`).not.toBe('failed');
      if (s.status === 'not run') expect(s.reason, name).toMatch(/\S/);
    }
    for (const name of MUST_RUN) expect(results.sections[name]!.status, name).toBe('ok');
  });

  it('has the expected metric keys and finite numbers', () => {
    for (const [name, s] of Object.entries(results.sections)) {
      if (s.status !== 'ok') continue;
      const expected = EXPECTED[name];
      if (expected) expect(s.metrics.sort()).toEqual([...expected.keys].sort());
      for (const key of s.metrics) {
        const m = results.metrics[key]!;
        expect(m.section).toBe(name);
        expect(['higher', 'lower']).toContain(m.better);
        expect(m.contenders[m.reference], `${key} reference`).toBeDefined();
        for (const c of expected?.contenders ?? []) expect(m.contenders[c], `${key} ${c}`).toBeDefined();
        for (const [c, r] of Object.entries(m.contenders)) {
          for (const v of [r.median, r.p99, r.ratio]) expect(Number.isFinite(v), `${key} ${c}`).toBe(true);
          expect(r.samples).toBeGreaterThan(0);
        }
        expect(m.contenders[m.reference]!.ratio).toBe(1);
      }
      for (const t of s.targets) {
        expect(Number.isFinite(t.value)).toBe(true);
        expect(typeof t.met).toBe('boolean');
      }
    }
  });

  it('renders the report with every section', () => {
    const md = renderMarkdown(results, { chartsPath: '../bench/results' });
    for (const s of Object.values(results.sections)) expect(md).toContain(s.title);
    for (const key of Object.keys(results.metrics)) expect(md).toContain(`\`${key}\``);
  });
});
