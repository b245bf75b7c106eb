/** Child-process entry: a framed echo server; reports { port } over IPC, exits on disconnect. */
import { startEchoServer } from './echo-server.js';

const server = await startEchoServer();
process.send?.({ port: server.port });
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
