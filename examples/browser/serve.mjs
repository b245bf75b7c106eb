// Serves the admin page and the web-client bundle (build it first: node scripts/build.mjs).
//   node examples/browser/serve.mjs [port]      -> http://127.0.0.1:<port>/
// Routes: / (index.html), /app.js, /mongo-edge.js (+ .map) = packages/web-client/dist/index.js;
// with `splitDir` (a copy of dist/esm-split/), /mongo-edge.js is its index.js and /chunks/* its chunks.
// Signed-in mode: /signed-in.html (+ .js) and, given a demo issuer (DEMO ONLY,
// demo-issuer.mjs; MONGO_EDGE_DEMO_JWT_SECRET on the command line), /demo-token?user=<name>.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDemoIssuer } from './demo-issuer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultBundle = path.resolve(here, '../../packages/web-client/dist/index.js');

export async function serveExample({ port = 0, host = '127.0.0.1', bundle = defaultBundle, splitDir = undefined, demoIssuer = undefined } = {}) {
  if (splitDir) bundle = path.join(splitDir, 'index.js');
  const routes = {
    '/': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
    '/index.html': [path.join(here, 'index.html'), 'text/html; charset=utf-8'],
    '/app.js': [path.join(here, 'app.js'), 'text/javascript; charset=utf-8'],
    '/live.html': [path.join(here, 'live.html'), 'text/html; charset=utf-8'],
    '/live.js': [path.join(here, 'live.js'), 'text/javascript; charset=utf-8'],
    '/signed-in.html': [path.join(here, 'signed-in.html'), 'text/html; charset=utf-8'],
    '/signed-in.js': [path.join(here, 'signed-in.js'), 'text/javascript; charset=utf-8'],
    '/mongo-edge.js': [bundle, 'text/javascript; charset=utf-8'],
    '/mongo-edge.js.map': [`${bundle}.map`, 'application/json'],
  };
  const server = createServer((req, res) => {
    if (demoIssuer?.handle(req, res)) return;
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const chunk = splitDir && /^\/chunks\/[\w.-]+\.js(\.map)?$/.test(pathname) ? path.join(splitDir, pathname) : undefined;
    const route = chunk ? [chunk, chunk.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8'] : routes[pathname];
    if (!route || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    readFile(route[0]).then(
      (body) => res.writeHead(200, { 'content-type': route[1], 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end(`missing ${path.basename(route[0])} (build first)`),
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const demoSecret = process.env.MONGO_EDGE_DEMO_JWT_SECRET;
  const { url } = await serveExample({ port: Number(process.argv[2] ?? 8000), demoIssuer: demoSecret ? createDemoIssuer({ secret: demoSecret }) : undefined });
  if (demoSecret) console.log(`signed-in page (DEMO token endpoint on): ${url}signed-in.html?gateway=ws://127.0.0.1:8080/ws`);
  console.log(`admin page: ${url}?bridge=ws://127.0.0.1:8080/ws&token=…&uri=mongodb://…&autoconnect=1`);
}
