export interface ExampleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
export function serveExample(options?: { port?: number; host?: string; bundle?: string; /** a copy of dist/esm-split/: served as /mongo-edge.js and /chunks/* */ splitDir?: string; demoIssuer?: import('./demo-issuer.mjs').DemoIssuer }): Promise<ExampleServer>;
