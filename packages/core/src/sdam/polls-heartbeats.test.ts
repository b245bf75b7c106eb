import { describe, expect, it } from 'vitest';
import { detectRuntime } from '../connection/metadata.js';
import { pollsHeartbeats } from './monitor.js';

const node = (env: Record<string, string>) => detectRuntime({ process: { versions: { node: '20.0.0' }, platform: 'linux', env } });

describe('pollsHeartbeats (serverMonitoringMode)', () => {
  it('poll always polls and stream always streams, FaaS or not', () => {
    const lambda = node({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' });
    expect(pollsHeartbeats('poll', node({}))).toBe(true);
    expect(pollsHeartbeats('poll', lambda)).toBe(true);
    expect(pollsHeartbeats('stream', lambda)).toBe(false);
    expect(pollsHeartbeats('stream', node({}))).toBe(false);
  });

  it('auto (and unset) polls on each FaaS platform the handshake spec detects, and streams elsewhere', () => {
    const platforms: Array<Record<string, string>> = [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' }, { AWS_LAMBDA_RUNTIME_API: 'x' }, { FUNCTIONS_WORKER_RUNTIME: 'node' }, { K_SERVICE: 'svc' }, { FUNCTION_NAME: 'f' }, { VERCEL: '1' }];
    for (const env of platforms) {
      expect(pollsHeartbeats('auto', node(env)), JSON.stringify(env)).toBe(true);
      expect(pollsHeartbeats(undefined, node(env)), JSON.stringify(env)).toBe(true);
    }
    expect(pollsHeartbeats('auto', node({}))).toBe(false);
    expect(pollsHeartbeats('auto', node({ AWS_EXECUTION_ENV: 'EC2' }))).toBe(false);
    expect(pollsHeartbeats('auto', detectRuntime({ navigator: { userAgent: 'Cloudflare-Workers' } }))).toBe(false);
    expect(pollsHeartbeats('auto', detectRuntime({ navigator: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' } }))).toBe(false);
  });
});
