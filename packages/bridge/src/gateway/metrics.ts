/** Gateway counters per rule (Prometheus text, appended to the bridge's /metrics). */
export class GatewayMetrics {
  readonly #commands = new Map<string, { allowed: number; refused: number }>();
  channelsOpen = 0;

  command(rule: string, allowed: boolean): void {
    const c = this.#commands.get(rule) ?? { allowed: 0, refused: 0 };
    if (allowed) c.allowed += 1;
    else c.refused += 1;
    this.#commands.set(rule, c);
  }

  snapshot(): Record<string, { allowed: number; refused: number }> {
    return Object.fromEntries([...this.#commands].map(([k, v]) => [k, { ...v }]));
  }

  render(): string {
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const lines = ['# HELP mongo_edge_gateway_commands_total Commands by rule and decision.', '# TYPE mongo_edge_gateway_commands_total counter'];
    for (const [rule, c] of this.#commands) {
      lines.push(`mongo_edge_gateway_commands_total{rule="${esc(rule)}",decision="allowed"} ${c.allowed}`);
      lines.push(`mongo_edge_gateway_commands_total{rule="${esc(rule)}",decision="refused"} ${c.refused}`);
    }
    lines.push('# HELP mongo_edge_gateway_channels_open Gateway channels (virtual connections) open.', '# TYPE mongo_edge_gateway_channels_open gauge');
    lines.push(`mongo_edge_gateway_channels_open ${this.channelsOpen}`);
    return lines.join('\n') + '\n';
  }
}
