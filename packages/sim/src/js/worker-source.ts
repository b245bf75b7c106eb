/**
 * The source of the JavaScript sandbox thread (started with `new Worker(source, { eval: true })`,
 * so that it runs the same from the TypeScript sources, the built dist and a bundle).
 *
 * One thread serves one query: `workerData.codes` are the query's `$where` functions
 * (already wrapped as function expressions), compiled once in a fresh `vm` context; each
 * message `{ docs }` (a JSON text, js/js-values.ts) loads a batch of documents and the
 * thread answers `{ results }`, one string per document: '1'/'0' per clause, or 'E' and
 * the error text (evaluation stops at the first error). A batch runs under `vm`'s timeout
 * (mongod's internalQueryJavaScriptFnTimeoutMillis bounds one call; here it bounds a batch,
 * as a watchdog per call costs more than the call); a timeout answers `{ timeout: true }`.
 *
 * The context receives nothing from the host realm but strings and numbers: the one host
 * function (the wait behind `sleep`) is captured by the prelude and removed from the
 * global object, and it takes only a number. `sleep(ms)` blocks this thread with
 * Atomics.wait, never the server's event loop; the host ends the thread (terminate) on
 * maxTimeMS, killOp, a closed connection or shutdown.
 */

/** Runs inside the context (the script's realm): mongo shell types, `sleep`, the evaluator. */
const PRELUDE = String.raw`(function (g) {
  'use strict';
  var wait = g.__hostWait;
  delete g.__hostWait;
  function define(name, value) {
    Object.defineProperty(g, name, { value: value, writable: true, configurable: true });
  }
  define('sleep', function sleep(ms) { wait(+ms); });
  define('print', function print() {});
  function ObjectId(hex) { if (!(this instanceof ObjectId)) return new ObjectId(hex); this.str = String(hex); }
  ObjectId.prototype.toString = function () { return 'ObjectId("' + this.str + '")'; };
  ObjectId.prototype.tojson = ObjectId.prototype.toString;
  ObjectId.prototype.valueOf = function () { return this.str; };
  ObjectId.prototype.equals = function (o) { return o instanceof ObjectId && o.str === this.str; };
  ObjectId.prototype.getTimestamp = function () { return new Date(parseInt(this.str.slice(0, 8), 16) * 1000); };
  function NumberLong(v) { if (!(this instanceof NumberLong)) return new NumberLong(v); this.str = String(v); this.floatApprox = Number(v); }
  NumberLong.prototype.valueOf = function () { return this.floatApprox; };
  NumberLong.prototype.toNumber = NumberLong.prototype.valueOf;
  NumberLong.prototype.toString = function () { return 'NumberLong(' + this.str + ')'; };
  function NumberInt(v) { if (!(this instanceof NumberInt)) return new NumberInt(v); this.n = Number(v) | 0; }
  NumberInt.prototype.valueOf = function () { return this.n; };
  NumberInt.prototype.toString = function () { return 'NumberInt(' + this.n + ')'; };
  function NumberDecimal(v) { if (!(this instanceof NumberDecimal)) return new NumberDecimal(v); this.str = String(v); }
  NumberDecimal.prototype.valueOf = function () { return Number(this.str); };
  NumberDecimal.prototype.toString = function () { return 'NumberDecimal("' + this.str + '")'; };
  function Timestamp(t, i) { if (!(this instanceof Timestamp)) return new Timestamp(t, i); this.t = t; this.i = i; }
  Timestamp.prototype.toString = function () { return 'Timestamp(' + this.t + ', ' + this.i + ')'; };
  function BinData(type, b64) { if (!(this instanceof BinData)) return new BinData(type, b64); this.type = type; this.b64 = String(b64); }
  BinData.prototype.base64 = function () { return this.b64; };
  BinData.prototype.subtype = function () { return this.type; };
  BinData.prototype.length = function () { var s = this.b64; var pad = s.slice(-2) === '==' ? 2 : s.slice(-1) === '=' ? 1 : 0; return (s.length / 4) * 3 - pad; };
  BinData.prototype.toString = function () { return 'BinData(' + this.type + ',"' + this.b64 + '")'; };
  function Code(c) { if (!(this instanceof Code)) return new Code(c); this.code = String(c); }
  Code.prototype.toString = function () { return this.code; };
  var MinKey = Object.freeze({ toString: function () { return 'MinKey'; } });
  var MaxKey = Object.freeze({ toString: function () { return 'MaxKey'; } });
  define('ObjectId', ObjectId);
  define('NumberLong', NumberLong);
  define('NumberInt', NumberInt);
  define('NumberDecimal', NumberDecimal);
  define('Timestamp', Timestamp);
  define('BinData', BinData);
  define('Code', Code);
  define('MinKey', MinKey);
  define('MaxKey', MaxKey);
  function regex(p, f) {
    var flags = String(f).replace(/[^gimsuy]/g, '');
    try { return new RegExp(p, flags); } catch (e) { return String(p); }
  }
  function revive(e) {
    if (e === null || typeof e !== 'object') return e;
    switch (e.t) {
      case 'o': {
        var o = {};
        for (var i = 0; i < e.v.length; i++) Object.defineProperty(o, e.v[i][0], { value: revive(e.v[i][1]), writable: true, enumerable: true, configurable: true });
        return o;
      }
      case 'a': return e.v.map(revive);
      case 'n': return Number(e.v);
      case 'l': return new NumberLong(e.v);
      case 'd': return new NumberDecimal(e.v);
      case 'oid': return new ObjectId(e.v);
      case 'date': return new Date(e.v === 'NaN' ? NaN : e.v);
      case 're': return regex(e.p, e.f);
      case 'bin': return new BinData(e.s, e.v);
      case 'ts': return new Timestamp(e.s, e.i);
      case 'min': return MinKey;
      case 'max': return MaxKey;
      case 'code': return new Code(e.v);
      default: return undefined;
    }
  }
  function describe(e) {
    try {
      var text = e !== null && typeof e === 'object' && typeof e.name === 'string' ? e.name + ': ' + String(e.message) : 'uncaught exception: ' + String(e);
      return text.replace(/[\r\n]+/g, ' ');
    } catch (x) {
      return 'uncaught exception';
    }
  }
  var fns = [];
  var docs = [];
  var __whereOne;
  Object.defineProperty(g, '__where', {
    value: Object.freeze({
      compile: function (src) { fns.push((0, eval)(src)); },
      load: function (json) { docs = JSON.parse(json).map(revive); },
      one: function (i) {
        try {
          var doc = docs[i];
          var out = '';
          g.obj = doc;
          for (var k = 0; k < fns.length; k++) out += fns[k].call(doc) ? '1' : '0';
          return out;
        } catch (e) {
          return 'E' + describe(e);
        }
      },
      all: function () {
        var out = [];
        for (var i = 0; i < docs.length; i++) {
          var r = __whereOne(i);
          out.push(r);
          if (r.charAt(0) === 'E') break;
        }
        return out.join('\n');
      },
    }),
    writable: false,
    configurable: false,
  });
  __whereOne = g.__where.one;
})(globalThis);`;

export const WORKER_SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const PRELUDE = ${JSON.stringify(PRELUDE)};
const cell = new Int32Array(new SharedArrayBuffer(4));
const sandbox = {};
sandbox.__hostWait = function (ms) {
  if (typeof ms === 'number' && ms > 0) Atomics.wait(cell, 0, 0, Math.min(ms, 2147483647));
};
const ctx = vm.createContext(sandbox, { codeGeneration: { strings: true, wasm: false }, microtaskMode: 'afterEvaluate' });
const timeout = workerData.timeoutMs;
const isTimeout = (e) => e !== null && typeof e === 'object' && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
let broken;
try {
  vm.runInContext(PRELUDE, ctx);
  const compile = new vm.Script('__where.compile(__src)');
  for (const src of workerData.codes) {
    sandbox.__src = src;
    compile.runInContext(ctx, { timeout });
  }
  delete sandbox.__src;
} catch (e) {
  broken = isTimeout(e) ? { timeout: true } : { results: null, error: 'SyntaxError: ' + String(e && e.message) };
}
const run = new vm.Script('__where.load(__docs), __where.all()');
parentPort.on('message', (m) => {
  if (broken) return parentPort.postMessage(broken);
  let results;
  try {
    sandbox.__docs = m.docs;
    // one call per batch: vm's timeout starts a watchdog per call, too dear per document
    const r = run.runInContext(ctx, { timeout });
    delete sandbox.__docs;
    results = typeof r === 'string' ? r.split('\n') : ['Euncaught exception'];
  } catch (e) {
    if (isTimeout(e)) return parentPort.postMessage({ timeout: true });
    return parentPort.postMessage({ results: null, error: 'InternalError: the script could not run' });
  }
  parentPort.postMessage({ results });
});
`;
