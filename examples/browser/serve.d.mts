export interface ExampleServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
export function serveExample(options?: { port?: number; host?: string; bundle?: string; demoIssuer?: import('./demo-issuer.mjs').DemoIssuer }): Promise<ExampleServer>;
