// The signed-in page's script: sign in as a user (a JWT from the example server's DEMO
// token endpoint, standing in for an identity provider), then read and edit notes through
// a mongo-edge gateway with the web client's one option, `gateway: { url, token }`.
// No database credential is in this page: the gateway's rules decide what the user sees
// (their own notes) and may write. ?gateway=ws://127.0.0.1:8080/ws&collection=notes
import { MongoClient, GATEWAY_URI, BSON } from './mongo-edge.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const gatewayUrl = params.get('gateway') ?? 'ws://127.0.0.1:8080/ws';
const collectionName = params.get('collection') ?? 'notes';

let client;
let user;
let token;

function status(text, error) {
  const el = $('status');
  el.textContent = text;
  el.dataset.status = error ? 'error' : 'ok';
  el.dataset.code = error?.code === undefined ? '' : String(error.code);
}

const describe = (e) => `${e.name}${e.code !== undefined ? ` (code ${e.code})` : ''}: ${e.message}`;
const notes = () => client.db().collection(collectionName);

async function signIn(name) {
  const res = await fetch(`/demo-token?user=${encodeURIComponent(name)}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `token endpoint: ${res.status}`);
  await client?.close();
  user = body.user;
  token = body.token;
  // the token getter is called on every (re)connect: a real app asks its IdP SDK here
  client = new MongoClient(`${GATEWAY_URI}app`, { gateway: { url: gatewayUrl, token: async () => token } });
  $('who').textContent = `signed in as ${user} (demo token, expires ${new Date(body.expiresAt * 1000).toISOString().slice(11, 19)} UTC)`;
  $('edit-owner').value = user;
  document.body.dataset.user = user;
  await refresh();
}

async function refresh() {
  const list = $('notes');
  const docs = await notes().find({}).sort({ text: 1 }).toArray();
  list.replaceChildren(
    ...docs.map((d) => {
      const li = document.createElement('li');
      li.dataset.id = String(d._id);
      li.dataset.owner = d.owner;
      li.dataset.text = d.text;
      li.textContent = `${d.text} · ${d.owner} · ${String(d._id)}`;
      li.onclick = () => {
        $('edit-id').value = String(d._id);
        $('edit-owner').value = d.owner;
        $('edit-text').value = d.text;
      };
      return li;
    }),
  );
  list.dataset.count = String(docs.length);
  list.dataset.version = String(Number(list.dataset.version ?? 0) + 1);
}

async function run(action) {
  try {
    const text = await action();
    status(text);
  } catch (e) {
    status(describe(e), e);
  }
  await refresh().catch((e) => status(describe(e), e));
  document.body.dataset.done = String(Number(document.body.dataset.done ?? 0) + 1);
}

$('sign-in').onsubmit = (ev) => {
  ev.preventDefault();
  void run(async () => {
    await signIn($('user').value.trim());
    return `signed in as ${user}`;
  });
};

$('add').onsubmit = (ev) => {
  ev.preventDefault();
  void run(async () => {
    const r = await notes().insertOne({ text: $('text').value });
    return `added ${String(r.insertedId)}`;
  });
};

// Replace a note by id with { owner, text }: the gateway refuses a document whose owner
// is not the signed-in user (code 13), and a note of another user is not found (its
// filter is AND-ed into the query).
$('edit').onsubmit = (ev) => {
  ev.preventDefault();
  void run(async () => {
    const r = await notes().replaceOne({ _id: new BSON.ObjectId($('edit-id').value.trim()) }, { owner: $('edit-owner').value, text: $('edit-text').value });
    return r.matchedCount === 0 ? 'no note of yours has that id' : `replaced ${r.modifiedCount}`;
  });
};

document.body.dataset.ready = '1';
