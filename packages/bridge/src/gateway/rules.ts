/**
 * Rules: which user (roles from a JWT claim) may run which action on which namespace,
 * and the document filter bound to their claims. Pure: (rules, claims) -> the rules
 * that apply and their bound filters. No rule, no access: nothing unknown passes.
 */
import type { Document } from '@mongo-edge/core';

/** Everything a rule can allow. Commands map onto these in authorize.ts. */
export const GATEWAY_ACTIONS = [
  'find',
  'count',
  'distinct',
  'aggregate',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'listCollections',
  'listIndexes',
] as const;
export type GatewayAction = (typeof GATEWAY_ACTIONS)[number];

export interface GatewayRule {
  readonly name: string;
  readonly roles: readonly string[];
  readonly database: string;
  readonly collection: string;
  readonly actions: readonly GatewayAction[];
  readonly filter: Readonly<Record<string, string | number | boolean>>;
  readonly readFields?: readonly string[] | undefined;
  readonly writeFields?: readonly string[] | undefined;
}

/** Who runs the command: the verified token's subject and claims. */
export interface GatewayPrincipal {
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** A rule bound to one principal: its filter with every `%%user.*` replaced. */
export interface BoundRule {
  readonly rule: GatewayRule;
  /** Equality conditions, e.g. `{ owner: 'alice' }`. */
  readonly filter: Readonly<Record<string, unknown>>;
}

export type RuleLookup =
  | { readonly ok: true; readonly bound: BoundRule }
  | { readonly ok: false; readonly message: string; readonly rule?: string };

const TEMPLATE = /^%%user\.([A-Za-z0-9_:/-]+(?:\.[A-Za-z0-9_:/-]+)*)$/;

/** A claim by dotted path (`sub`, `org.id`, `https://x/roles`-style keys are one segment). */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let v: unknown = claims;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The principal's roles: the role claim (string or array of strings), else the default role. */
export function rolesOf(claims: Readonly<Record<string, unknown>>, roleClaim: string, defaultRole: string): readonly string[] {
  const v = claimAt(claims, roleClaim);
  if (typeof v === 'string' && v !== '') return [v];
  if (Array.isArray(v)) {
    const roles = v.filter((r): r is string => typeof r === 'string' && r !== '');
    if (roles.length > 0) return roles;
  }
  return [defaultRole];
}

/** Binds a rule's filter template to the claims; a template naming a missing (or non-scalar) claim makes the rule unusable. */
export function bindFilter(rule: GatewayRule, claims: Readonly<Record<string, unknown>>): { ok: true; filter: Record<string, unknown> } | { ok: false; message: string } {
  const filter: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(rule.filter)) {
    const m = typeof value === 'string' ? TEMPLATE.exec(value) : null;
    if (!m) {
      filter[field] = value;
      continue;
    }
    const claim = claimAt(claims, m[1]!);
    if (typeof claim !== 'string' && typeof claim !== 'number' && typeof claim !== 'boolean') {
      return { ok: false, message: `rule ${rule.name}: the token has no scalar claim ${m[1]} for ${field}` };
    }
    filter[field] = claim;
  }
  return { ok: true, filter };
}

export interface RuleSet {
  readonly rules: readonly GatewayRule[];
  readonly roleClaim: string;
  readonly defaultRole: string;
}

/** The first rule (in file order) for this principal's roles, namespace and action, bound to its claims. */
export function findRule(set: RuleSet, principal: GatewayPrincipal, db: string, collection: string, action: GatewayAction): RuleLookup {
  const roles = rolesOf(principal.claims, set.roleClaim, set.defaultRole);
  const applies = (r: GatewayRule) => r.database === db && r.collection === collection && r.roles.some((x) => x === '*' || roles.includes(x));
  const candidates = set.rules.filter(applies);
  const rule = candidates.find((r) => r.actions.includes(action));
  if (!rule) {
    const named = candidates[0]?.name;
    return {
      ok: false,
      message: named
        ? `rule ${named} does not allow ${action} on ${db}.${collection}`
        : `no rule allows ${action} on ${db}.${collection} for roles [${roles.join(', ')}]`,
      ...(named ? { rule: named } : {}),
    };
  }
  const bound = bindFilter(rule, principal.claims);
  if (!bound.ok) return { ok: false, message: bound.message, rule: rule.name };
  return { ok: true, bound: { rule, filter: bound.filter } };
}

/** Collections of `db` this principal may run `action` on (listCollections shows only these). */
export function collectionsAllowed(set: RuleSet, principal: GatewayPrincipal, db: string, action: GatewayAction): string[] {
  const roles = rolesOf(principal.claims, set.roleClaim, set.defaultRole);
  return set.rules
    .filter((r) => r.database === db && r.actions.includes(action) && r.roles.some((x) => x === '*' || roles.includes(x)))
    .map((r) => r.collection);
}

export type { Document };
