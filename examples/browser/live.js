// The live view's script: a change stream (collection.watch(), event mode) read through
// the bridge. Each change is shown as it arrives with the member that served it (the
// address of the aggregate / getMore whose reply carried it, from command monitoring)
// and its lag: arrival minus the write's wallTime (ms) and minus its clusterTime (a
// Timestamp: whole seconds). The driver resumes the stream by itself after a failover
// (a second `init`); if even the resume fails, the page starts a new stream after the
// last resume token, so no change is lost or repeated either way.
// Query parameters: ?bridge=…&token=…&uri=…&db=…&coll=…&autowatch=1
import { MongoClient, BSON } from './mongo-edge.js';

const $ = (id) => document.getElementById(id);
const { EJSON } = BSON;
const MAX_ROWS = 2000;

let client;
let stream;
let watched; // { db, coll, ns }
let servedBy = '';
let lastFailure = '';
let count = 0;
let resumes = 0;
let lags = [];
let lastId;
let writes = 0;

function log(text, kind = 'info') {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 300) $('log').lastChild.remove();
}

function setState(id, state, text) {
  $(id).dataset.state = state;
  $(id).textContent = text;
}

const show = (v) => EJSON.stringify(v, { relaxed: true });

// ---------------------------------------------------------------- connect

async function connect() {
  await stopWatching();
  await client?.close();
  const bridge = { url: $('bridge').value.trim(), token: $('token').value || undefined };
  try {
    client = new MongoClient($('uri').value.trim(), { bridge, monitorCommands: true });
  } catch (e) {
    setState('status', 'error', `${e.name}: ${e.message}`);
    return false;
  }
  client.on('serverDescriptionChanged', ({ address, previousDescription: a, newDescription: b }) => {
    if (a.type !== b.type) log(`${address}: ${a.type} → ${b.type}`, b.type === 'Unknown' ? 'error' : 'info');
  });
  // The stream's commands: who served the last batch, and why a getMore failed.
  const ours = (e) => watched && (e.commandName === 'aggregate' || e.commandName === 'getMore') && e.databaseName === watched.db;
  client.on('commandSucceeded', (e) => {
    if (ours(e) && e.reply?.cursor?.ns === watched.ns) {
      servedBy = e.address;
      $('served-by').textContent = servedBy;
    }
  });
  client.on('commandFailed', (e) => {
    if (!ours(e)) return;
    lastFailure = `${e.commandName} on ${e.address}: ${e.failure?.name ?? 'Error'}: ${e.failure?.message ?? e.failure}`;
    log(`${lastFailure}${e.failure?.errorLabels?.length ? ` [${e.failure.errorLabels.join(', ')}]` : ''}`, 'error');
  });
  setState('status', 'connecting', `connecting through ${bridge.url}…`);
  try {
    await client.connect();
  } catch (e) {
    setState('status', 'error', `${e.name}: ${e.message}`);
    log(`connect failed: ${e.message}`, 'error');
    return false;
  }
  setState('status', 'connected', `connected: ${client.toString()}`);
  log(`connected through ${bridge.url}`);
  void listCollections();
  return true;
}

async function listCollections() {
  try {
    const names = await client.db($('db').value.trim()).listCollections({}, { nameOnly: true }).toArray();
    $('collections').replaceChildren(
      ...names.map(({ name }) => Object.assign(document.createElement('option'), { value: name })),
    );
  } catch (e) {
    log(`listCollections failed: ${e.message}`, 'error');
  }
}

// ---------------------------------------------------------------- watch

async function watch() {
  if (!client && !(await connect())) return;
  await stopWatching();
  const db = $('db').value.trim();
  const coll = $('coll').value.trim();
  watched = { db, coll, ns: `${db}.${coll}` };
  count = 0;
  resumes = 0;
  lags = [];
  $('events').replaceChildren();
  render();
  start(undefined);
}

/** A stream on the watched collection, after `resumeAfter` if given. */
function start(resumeAfter) {
  const s = client
    .db(watched.db)
    .collection(watched.coll)
    .watch([], { fullDocument: 'updateLookup', maxAwaitTimeMS: 500, ...(resumeAfter ? { resumeAfter } : {}) });
  stream = s;
  let inits = 0;
  s.on('init', () => {
    inits += 1;
    if (inits === 1 && !resumeAfter) {
      log(`watching ${watched.ns} on ${servedBy}`);
    } else {
      resumes += 1;
      const how = inits === 1 ? 'restarted by the page after the last resume token' : 'resumed by the driver';
      log(`${how} on ${servedBy}${lastFailure ? ` (after ${lastFailure})` : ''}`, 'resume');
    }
    setState('stream-status', 'watching', `watching ${watched.ns}`);
    render();
  });
  s.on('change', onChange);
  // the server ended the stream (after an invalidate: the collection was dropped or renamed)
  s.on('end', () => {
    if (stream !== s) return;
    log(`the server ended the stream on ${watched.ns} (invalidated); press Watch to start again`, 'error');
    setState('stream-status', 'ended', `ended: ${watched.ns} was invalidated`);
  });
  s.on('error', (e) => {
    if (stream !== s) return;
    const token = s.resumeToken;
    log(`stream error: ${e.name}: ${e.message}; starting again after the last resume token`, 'error');
    setState('stream-status', 'resuming', `resuming ${watched.ns}…`);
    lastFailure = `${e.name}: ${e.message}`;
    setTimeout(() => {
      if (stream === s) start(token ?? resumeAfter);
    }, 1000);
  });
}

async function stopWatching() {
  const s = stream;
  stream = undefined;
  if (s) {
    await s.close().catch(() => undefined);
    log(`stopped watching ${watched?.ns}`);
    setState('stream-status', 'idle', 'not watching');
  }
}

function onChange(change) {
  const arrived = Date.now();
  count += 1;
  const id = change.documentKey?._id;
  const wallLag = change.wallTime instanceof Date ? arrived - change.wallTime.getTime() : null;
  const seconds = change.clusterTime ? (change.clusterTime.t ?? change.clusterTime.getHighBits()) : null;
  if (wallLag !== null) {
    lags.push(wallLag);
    if (lags.length > 100) lags.shift();
  }
  const tr = document.createElement('tr');
  tr.dataset.seq = String(count);
  tr.dataset.op = change.operationType;
  tr.dataset.id = show(id);
  tr.dataset.servedBy = servedBy;
  if (wallLag !== null) tr.dataset.lagMs = String(wallLag);
  const detail =
    change.operationType === 'update'
      ? show(change.updateDescription)
      : change.fullDocument !== undefined
        ? show(change.fullDocument)
        : '';
  const cells = [
    count,
    new Date(arrived).toISOString().slice(11, 23),
    null,
    show(id),
    detail,
    servedBy,
    wallLag === null ? '–' : `${wallLag} ms`,
    seconds === null ? '–' : `≤ ${Math.max(0, Math.ceil(arrived / 1000 - seconds))} s`,
  ];
  for (const [i, text] of cells.entries()) {
    const td = document.createElement('td');
    if (i === 2) td.append(Object.assign(document.createElement('span'), { className: 'op', textContent: change.operationType }));
    else td.textContent = String(text);
    if (i === 4) td.className = 'doc';
    tr.append(td);
  }
  $('events').prepend(tr);
  while ($('events').children.length > MAX_ROWS) $('events').lastChild.remove();
  render();
}

function render() {
  $('count').textContent = String(count);
  $('count').dataset.count = String(count);
  $('resumes').textContent = String(resumes);
  $('resumes').dataset.count = String(resumes);
  const sorted = [...lags].sort((a, b) => a - b);
  $('lag-median').textContent = sorted.length ? `${sorted[Math.floor(sorted.length / 2)]} ms` : '–';
}

// ---------------------------------------------------------------- demo writes

async function write(kind) {
  if (!client || !watched) {
    log('connect and watch first', 'error');
    return;
  }
  const coll = client.db(watched.db).collection(watched.coll);
  try {
    if (kind === 'insert') {
      writes += 1;
      lastId = `live-${Date.now().toString(36)}-${writes}`;
      await coll.insertOne({ _id: lastId, n: writes, at: new Date() });
    } else if (lastId === undefined) {
      log('insert a document first', 'error');
    } else if (kind === 'update') {
      await coll.updateOne({ _id: lastId }, { $inc: { n: 100 }, $set: { at: new Date() } });
    } else {
      await coll.deleteOne({ _id: lastId });
      lastId = undefined;
    }
  } catch (e) {
    log(`${kind} failed: ${e.name}: ${e.message}`, 'error');
  }
}

// ---------------------------------------------------------------- wiring

$('connect').addEventListener('submit', (e) => {
  e.preventDefault();
  void connect();
});
$('watch').addEventListener('submit', (e) => {
  e.preventDefault();
  void watch();
});
$('stop-btn').addEventListener('click', () => void stopWatching());
for (const kind of ['insert', 'update', 'delete']) $(`w-${kind}`).addEventListener('click', () => void write(kind));

const params = new URLSearchParams(location.search);
$('bridge').value = params.get('bridge') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8080/ws`;
$('token').value = params.get('token') ?? '';
$('uri').value = params.get('uri') ?? 'mongodb://127.0.0.1:27017/?replicaSet=rs0';
if (params.get('db')) $('db').value = params.get('db');
if (params.get('coll')) $('coll').value = params.get('coll');
$('admin-link').search = location.search;
if (params.get('autowatch') === '1') void watch();
