export const DEMO_ISSUER: string;
export const DEMO_AUDIENCE: string;
export interface DemoIssuer {
  readonly issuer: string;
  readonly audience: string;
  sign(user: string): string;
  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): boolean;
}
export function createDemoIssuer(options: { secret: string; issuer?: string; audience?: string; ttlSeconds?: number }): DemoIssuer;
