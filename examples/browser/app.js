// The admin page's script: one MongoClient from the web-client bundle, a live view of
// its topology (from client.topologyDescription and the SDAM events) and a small
// query console. Query parameters prefill the form: ?bridge=…&token=…&uri=…&autoconnect=1
import { MongoClient, BSON } from './mongo-edge.js';

const $ = (id) => document.getElementById(id);
const { EJSON } = BSON;

let client;
let seq = 0;
let refreshTimer;

// ---------------------------------------------------------------- event log

function log(text, kind = 'info') {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 200) $('log').lastChild.remove();
}

// ---------------------------------------------------------------- topology view

function renderTopology() {
  const td = client?.topologyDescription;
  $('topology-type').textContent = td ? td.type : '–';
  $('set-name').textContent = td?.setName ? `set ${td.setName}` : '';
  const body = $('members');
  if (!td) {
    body.innerHTML = '<tr><td colspan="6" class="muted">no members yet</td></tr>';
    return;
  }
  const served = client.address;
  const rows = [...td.servers.values()].sort((a, b) => a.address.localeCompare(b.address));
  body.replaceChildren(
    ...rows.map((sd) => {
      const tr = document.createElement('tr');
      tr.dataset.address = sd.address;
      tr.dataset.type = sd.type;
      if (sd.address === served) tr.classList.add('served');
      const cells = [
        sd.address,
        null,
        sd.roundTripTime === null ? '–' : `${sd.roundTripTime.toFixed(1)} ms`,
        Object.keys(sd.tags).length ? Object.entries(sd.tags).map(([k, v]) => `${k}:${v}`).join(', ') : '–',
        sd.setVersion ?? '–',
        sd.error ? String(sd.error.message).slice(0, 120) : '',
      ];
      for (const [i, text] of cells.entries()) {
        const td = document.createElement('td');
        if (i === 1) {
          const badge = document.createElement('span');
          badge.className = 'badge';
          badge.textContent = sd.type;
          td.append(badge);
        } else td.textContent = String(text);
        tr.append(td);
      }
      return tr;
    }),
  );
}

// ---------------------------------------------------------------- connect / disconnect

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

async function connect() {
  await disconnect();
  const bridge = { url: $('bridge').value.trim(), token: $('token').value || undefined };
  try {
    client = new MongoClient($('uri').value.trim(), { bridge, monitorCommands: true });
  } catch (e) {
    setStatus('error', `${e.name}: ${e.message}`);
    return;
  }
  client.on('serverDescriptionChanged', ({ address, previousDescription: a, newDescription: b }) => {
    if (a.type !== b.type) log(`${address}: ${a.type} → ${b.type}${b.error ? ` (${b.error.message})` : ''}`, b.type === 'Unknown' ? 'error' : 'info');
    renderTopology();
  });
  client.on('topologyDescriptionChanged', ({ previousDescription: a, newDescription: b }) => {
    if (a.type !== b.type) log(`topology: ${a.type} → ${b.type}`);
    renderTopology();
  });
  // Command monitoring: a failed attempt the driver then retries shows up here.
  client.on('commandFailed', ({ commandName, address, failure }) => {
    log(`${commandName} on ${address} failed: ${failure?.message ?? failure}${failure?.errorLabels?.length ? ` [${failure.errorLabels.join(', ')}]` : ''}`, 'error');
  });
  refreshTimer = setInterval(renderTopology, 500); // RTTs change without a type change
  setStatus('connecting', `connecting through ${bridge.url}…`);
  try {
    await client.connect();
    setStatus('connected', `connected: ${client.toString()}`);
    log(`connected through ${bridge.url}`);
  } catch (e) {
    setStatus('error', `${e.name}: ${e.message}`);
    log(`connect failed: ${e.message}`, 'error');
  }
  renderTopology();
}

async function disconnect() {
  clearInterval(refreshTimer);
  const c = client;
  client = undefined;
  if (c) {
    await c.close();
    log('disconnected');
  }
  setStatus('idle', 'not connected');
  renderTopology();
}

// ---------------------------------------------------------------- query console

async function runQuery() {
  const out = $('result');
  const mySeq = ++seq;
  if (!client) {
    show(mySeq, 'error', 'connect first', '');
    return;
  }
  const op = $('op').value;
  const readPreference = $('read-pref').value;
  let arg;
  try {
    arg = EJSON.parse($('arg').value.trim() || '{}', { relaxed: true });
  } catch (e) {
    show(mySeq, 'error', `bad Extended JSON: ${e.message}`, '');
    return;
  }
  out.dataset.status = 'running';
  const coll = client.db($('db').value).collection($('coll').value, { readPreference });
  const started = performance.now();
  try {
    let result;
    switch (op) {
      case 'find':
        result = await coll.find(arg).limit(100).toArray();
        break;
      case 'insertOne':
        result = await coll.insertOne(arg);
        break;
      case 'countDocuments':
        result = { count: await coll.countDocuments(arg) };
        break;
      case 'deleteMany':
        result = await coll.deleteMany(arg);
        break;
      case 'ping':
        result = await client.db('admin').command({ ping: 1 }, { readPreference });
        break;
      default:
        throw new Error(`unknown operation ${op}`);
    }
    $('elapsed').textContent = `${(performance.now() - started).toFixed(1)} ms`;
    show(mySeq, 'ok', EJSON.stringify(result, null, 2, { relaxed: true }), client.address ?? '');
    log(`${op} ok (${readPreference}) served by ${client.address}`);
  } catch (e) {
    $('elapsed').textContent = `${(performance.now() - started).toFixed(1)} ms`;
    const labels = e.errorLabels?.length ? ` [${e.errorLabels.join(', ')}]` : '';
    show(mySeq, 'error', `${e.name}: ${e.message}${labels}`, client?.address ?? '');
    log(`${op} failed: ${e.name}: ${e.message}`, 'error');
  }
  renderTopology();
}

function show(mySeq, status, text, servedBy) {
  const out = $('result');
  out.textContent = text;
  out.dataset.status = status;
  out.dataset.servedBy = servedBy;
  out.dataset.seq = String(mySeq);
  $('served-by').textContent = servedBy || '–';
}

// ---------------------------------------------------------------- wiring

$('connect').addEventListener('submit', (e) => {
  e.preventDefault();
  void connect();
});
$('disconnect-btn').addEventListener('click', () => void disconnect());
$('query').addEventListener('submit', (e) => {
  e.preventDefault();
  void runQuery();
});

const params = new URLSearchParams(location.search);
$('bridge').value = params.get('bridge') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8080/ws`;
$('token').value = params.get('token') ?? '';
$('uri').value = params.get('uri') ?? 'mongodb://127.0.0.1:27017/?replicaSet=rs0';
// The live view gets this page's parameters (the URI may hold a password) when the link is
// followed, never in the DOM: the page must not show a credential.
$('live-link').addEventListener('click', (e) => {
  e.preventDefault();
  location.href = `live.html${location.search}`;
});
if (params.get('autoconnect') === '1') void connect();
