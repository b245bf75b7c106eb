/**
 * A Worker using the gateway (docs/gateway.md) with ONE web client in global scope: no
 * database credentials on the edge, the end user's JWT only. The test counts the
 * WebSockets the client opens. workerd refuses a WebSocket opened while serving one
 * request to any other ("Cannot perform I/O on behalf of a different request"), so the
 * client renews its I/O per request (WebSocketTransport.ioScope): one WebSocket per
 * request, shared by every operation of that request.
 *   GET /find?id=N&times=K   K × findOne({ _id: N }) on app.notes -> { doc, websockets, loadBalanced }
 */
import { GATEWAY_URI, MongoClient, type WebSocketConstructorLike } from '@mongo-edge/web-client';

interface Env {
  GATEWAY_URL: string;
  TOKEN: string;
}

let client: MongoClient | undefined;
let websockets = 0;

/** globalThis.WebSocket, counting constructions. */
const CountingWebSocket = class extends (globalThis.WebSocket as unknown as new (url: string, protocols?: string | string[]) => object) {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    websockets += 1;
  }
} as unknown as WebSocketConstructorLike;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/ping') return new Response('ok');
    client ??= new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: env.GATEWAY_URL, token: env.TOKEN, WebSocket: CountingWebSocket } });
    try {
      const times = Number(url.searchParams.get('times') ?? 1);
      let doc = null;
      for (let i = 0; i < times; i++) doc = await client.db().collection('notes').findOne({ _id: Number(url.searchParams.get('id')) as never });
      return Response.json({ doc, websockets, loadBalanced: client.topologyDescription?.type === 'LoadBalanced' });
    } catch (e) {
      return Response.json({ error: (e as Error).message, name: (e as Error).name, websockets }, { status: 500 });
    }
  },
};
