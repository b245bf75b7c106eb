/**
 * Text indexes and `$text` queries, in mongod's shape but small: a collection has at
 * most one text index (`{field: 'text'}` keys, stored as mongod lists them: key
 * `{_fts: 'text', _ftsx: 1}`, `weights`, `default_language`, `language_override`,
 * `textIndexVersion: 3`). `$text: {$search}` matches documents whose indexed strings
 * contain any search term (all quoted phrases, none of the `-negated` terms),
 * case- and diacritic-insensitively unless asked otherwise, with English stop words
 * dropped and a light suffix stemmer. The score follows mongod's per-field formula
 * (weight × term frequency × (0.5 × count / tokens + 0.5)); it is an approximation of
 * mongod's numbers, not a copy, so tests should compare scores, not their values.
 */
import { CommandError, ErrorCode } from './errors.js';
import type { CollectionState, IndexSpec, StoredDoc } from './storage/engine.js';
import { getPath, isPlainObject, toView, type Doc } from './storage/values.js';

const STOP_WORDS = new Set(
  'a about above after again against all am an and any are as at be because been before being below between both but by could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with you your yours yourself yourselves'.split(' '),
);

export function isTextIndex(spec: IndexSpec): boolean {
  return spec.key._fts === 'text';
}

/** Whether an index key requests a text index (`{field: 'text'}`). */
export function requestsText(key: Doc): boolean {
  return Object.values(key).some((v) => v === 'text');
}

/** mongod's stored form of a text index spec. */
export function normalizeTextIndex(raw: Doc, name: string | undefined): IndexSpec {
  const key = raw.key as Doc;
  const weights: Doc = {};
  const userWeights = isPlainObject(raw.weights) ? (toView(raw.weights) as Doc) : {};
  const prefix: Doc = {};
  const suffix: Doc = {};
  let seenText = false;
  for (const [f, v] of Object.entries(key)) {
    if (v === 'text') {
      seenText = true;
      weights[f] = userWeights[f] ?? 1;
    } else if (seenText) suffix[f] = v;
    else prefix[f] = v;
  }
  for (const [f, w] of Object.entries(userWeights)) if (weights[f] === undefined) weights[f] = w;
  for (const [f, w] of Object.entries(weights)) {
    if (typeof w !== 'number' || w <= 0 || w >= 100000) throw new CommandError(ErrorCode.CannotCreateIndex, `text index weight must be in the exclusive interval (0,99999) but found: ${String(w)} for field ${f}`);
  }
  const defaultName = Object.entries(key).map(([k, v]) => `${k}_${String(v)}`).join('_');
  const spec: IndexSpec = { v: 2, key: { ...prefix, _fts: 'text', _ftsx: 1, ...suffix }, name: name ?? defaultName };
  for (const [k, v] of Object.entries(raw)) if (!['key', 'name', 'v', 'weights', 'background', 'default_language', 'language_override', 'textIndexVersion'].includes(k)) spec[k] = v;
  spec.weights = Object.fromEntries(Object.entries(weights).sort(([a], [b]) => (a < b ? -1 : 1)));
  spec.default_language = typeof raw.default_language === 'string' ? raw.default_language : 'english';
  spec.language_override = typeof raw.language_override === 'string' ? raw.language_override : 'language';
  spec.textIndexVersion = 3;
  return spec;
}

interface TextQuery {
  terms: string[];
  phrases: string[];
  negated: string[];
  caseSensitive: boolean;
  diacriticSensitive: boolean;
}

function fold(s: string, q: Pick<TextQuery, 'caseSensitive' | 'diacriticSensitive'>): string {
  let out = q.caseSensitive ? s : s.toLowerCase();
  if (!q.diacriticSensitive) out = out.normalize('NFD').replace(/\p{M}/gu, '');
  return out;
}

function stem(w: string): string {
  for (const suf of ['ational', 'ization', 'fulness', 'iveness', 'ingly', 'edly', 'ing', 'ies', 'ied', 'ed', 'es', 'ly', 's']) {
    if (w.length > suf.length + 2 && w.endsWith(suf)) return suf === 'ies' || suf === 'ied' ? `${w.slice(0, -3)}i` : w.slice(0, -suf.length);
  }
  return w;
}

function tokens(s: string, q: Pick<TextQuery, 'caseSensitive' | 'diacriticSensitive'>): string[] {
  return fold(s, q)
    .split(/[^\p{L}\p{N}_']+/u)
    .map((t) => t.replace(/^'+|'+$/g, ''))
    .filter((t) => t.length > 0 && !STOP_WORDS.has(t.toLowerCase()))
    .map(stem);
}

export function parseTextQuery(raw: unknown): TextQuery {
  if (!isPlainObject(raw)) throw new CommandError(ErrorCode.BadValue, '$text expects an object');
  const v = toView(raw) as Doc;
  for (const k of Object.keys(v)) {
    if (!['$search', '$language', '$caseSensitive', '$diacriticSensitive'].includes(k)) throw new CommandError(ErrorCode.BadValue, `extra fields in $text: ${k}`);
  }
  if (typeof v.$search !== 'string') throw new CommandError(ErrorCode.TypeMismatch, '$search requires a string value');
  if (v.$language !== undefined && v.$language !== 'english' && v.$language !== 'en' && v.$language !== 'none') {
    throw new CommandError(17262, `language override unsupported: ${String(v.$language)}`);
  }
  const q: TextQuery = { terms: [], phrases: [], negated: [], caseSensitive: v.$caseSensitive === true, diacriticSensitive: v.$diacriticSensitive === true };
  const search = v.$search;
  const phraseRe = /(-?)"([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = phraseRe.exec(search))) if (m[1] !== '-' && m[2]!.trim()) q.phrases.push(fold(m[2]!, q));
  const rest = search.replace(phraseRe, ' ');
  for (const word of rest.split(/\s+/).filter(Boolean)) {
    if (word.startsWith('-')) q.negated.push(...tokens(word.slice(1), q));
    else q.terms.push(...tokens(word, q));
  }
  for (const p of q.phrases) q.terms.push(...tokens(p, q));
  return q;
}

/** The text index of a collection; IndexNotFound (27) as mongod says when there is none. */
export function textIndexOf(c: CollectionState | undefined): IndexSpec {
  const spec = c?.indexes.find(isTextIndex);
  if (!spec) throw new CommandError(ErrorCode.IndexNotFound, 'text index required for $text query');
  return spec;
}

function strings(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
}

function wildcardStrings(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) wildcardStrings(x, out);
  else if (isPlainObject(v)) for (const x of Object.values(v)) wildcardStrings(x, out);
}

/** Scores of the matching documents (score > 0 or phrase-only matches), by stored document. */
export function textSearch(c: CollectionState | undefined, raw: unknown): Map<StoredDoc, number> {
  const spec = textIndexOf(c);
  const q = parseTextQuery(raw);
  const weights = Object.entries(spec.weights as Doc) as Array<[string, number]>;
  const out = new Map<StoredDoc, number>();
  for (const d of c!.docs.values()) {
    let score = 0;
    const all: string[] = [];
    for (const [field, weight] of weights) {
      const texts: string[] = [];
      if (field === '$**') wildcardStrings(d.view, texts);
      else strings(getPath(d.view, field), texts);
      for (const text of texts) {
        all.push(fold(text, q));
        const toks = tokens(text, q);
        if (toks.length === 0) continue;
        const counts = new Map<string, number>();
        for (const t of toks) counts.set(t, (counts.get(t) ?? 0) + 1);
        for (const term of new Set(q.terms)) {
          const n = counts.get(term);
          if (!n) continue;
          let freq = 0;
          for (let i = 0; i < n; i++) freq += 1 / 2 ** i;
          score += weight * freq * (0.5 * n / toks.length + 0.5);
        }
      }
    }
    const joined = all.join(' \u0000 ');
    if (q.phrases.some((p) => !joined.includes(p))) continue;
    const docTokens = new Set(all.flatMap((t) => tokens(t, { caseSensitive: true, diacriticSensitive: true })));
    if (q.negated.some((t) => docTokens.has(t))) continue;
    if (score > 0) out.set(d, score);
  }
  return out;
}

/** Splits `$text` from a filter (top level, or an element of a top-level $and). */
export function extractText(filter: Doc | undefined): { text?: unknown; rest: Doc | undefined } {
  if (!filter) return { rest: filter };
  if (filter.$text !== undefined) {
    const { $text, ...rest } = filter;
    return { text: $text, rest };
  }
  if (Array.isArray(filter.$and)) {
    const i = (filter.$and as unknown[]).findIndex((c) => isPlainObject(c) && c.$text !== undefined);
    if (i >= 0) {
      const clauses = [...(filter.$and as Doc[])];
      const { $text, ...restClause } = clauses[i]!;
      clauses[i] = restClause;
      return { text: $text, rest: { ...filter, $and: clauses } };
    }
  }
  return { rest: filter };
}

/** `{$meta: 'textScore'}` fields of a projection or sort. */
export function metaFields(spec: Doc | undefined): string[] {
  if (!spec) return [];
  return Object.entries(spec)
    .filter(([, v]) => isPlainObject(v) && v.$meta === 'textScore')
    .map(([k]) => k);
}
