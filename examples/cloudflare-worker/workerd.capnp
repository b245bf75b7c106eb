# Run the bundled Worker locally with workerd alone (what the tests do, see
# examples/edge/runtimes.ts): esbuild worker.ts --bundle --format=esm
#   --conditions=workerd,worker,browser --external:cloudflare:* --outfile=worker.mjs
# then `npx workerd serve workerd.capnp`.
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.mjs") ],
  compatibilityDate = "2025-09-01",
  bindings = [ (name = "MONGODB_URI", text = "mongodb://127.0.0.1:27017/?replicaSet=rs0") ],
  globalOutbound = "internet",
);
