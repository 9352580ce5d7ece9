import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_RULES } from './default-rules';
import { RULE_KINDS } from './registry';
import type { RuleKind } from './rule-kind';
import type { RuleEntry, RulesDocument } from './rules-document.types';

export type { RuleEntry, RulesDocument } from './rules-document.types';

/** One rule ready to run. */
export interface CompiledRule {
  readonly id: string;
  readonly kind: RuleKind;
  readonly spec: Record<string, unknown>;
  readonly enabled: boolean;
  readonly mode: 'enforce' | 'observe';
}

export interface RuleSet {
  readonly suspicion: { readonly ratio: number; readonly seconds: number };
  readonly rules: readonly CompiledRule[];
}

/** A rules document that cannot be used; the message names the file, the rule and the field. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
}

const TOP_LEVEL = new Set(['version', 'extends', 'suspicion', 'rules']);
const COMMON = new Set(['kind', 'enabled', 'mode']);

/** Reads YAML or JSON (JSON is YAML). `source` names the file in messages. */
export function parseRulesText(text: string, source: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new RulesError(`${source}: not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Validates a document and merges it over the base (the built-in defaults unless it says `extends: none`). */
export function compileRules(input: unknown, source: string, base: RulesDocument = DEFAULT_RULES): RuleSet {
  const doc = checkShape(input, source);
  const fromBase = doc.extends !== 'none';
  const merged: Record<string, RuleEntry> = {};
  if (fromBase) for (const [id, entry] of Object.entries(base.rules)) merged[id] = { ...entry };
  for (const [id, entry] of Object.entries(doc.rules)) {
    const at = `${source}: rule "${id}"`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      throw new RulesError(`${at}: must be a mapping of settings, got ${show(entry)}`);
    const prior = merged[id];
    if (prior && entry.kind !== undefined && entry.kind !== prior.kind) {
      throw new RulesError(
        `${at}: kind is "${String(prior.kind)}" in the rules it extends, got "${String(entry.kind)}" (give the new rule another id)`,
      );
    }
    merged[id] = { ...(prior ?? {}), ...entry };
  }
  const ratio = doc.suspicion?.ratio ?? (fromBase ? base.suspicion?.ratio : undefined) ?? 0.7;
  const seconds = doc.suspicion?.seconds ?? (fromBase ? base.suspicion?.seconds : undefined) ?? 600;
  if (!(typeof ratio === 'number' && ratio > 0 && ratio < 1))
    throw new RulesError(`${source}: suspicion.ratio must be a number between 0 and 1, got ${show(ratio)}`);
  if (!(Number.isInteger(seconds) && seconds > 0))
    throw new RulesError(`${source}: suspicion.seconds must be a positive integer, got ${show(seconds)}`);

  const rules = Object.entries(merged).map(([id, entry]) => compileRule(id, entry, source));
  const escalations = rules.filter((r) => r.enabled && r.kind.kind === 'escalation');
  if (escalations.length > 1)
    throw new RulesError(`${source}: at most one escalation rule may be enabled, got ${escalations.map((r) => `"${r.id}"`).join(', ')}`);
  return { suspicion: { ratio, seconds }, rules };
}

/** `compileRules(parseRulesText(text))`. */
export function loadRules(text: string, source: string, base: RulesDocument = DEFAULT_RULES): RuleSet {
  return compileRules(parseRulesText(text, source), source, base);
}

/** The rules in force as a document that, saved as RULES_FILE, gives the same rules. */
export function rulesDocumentOf(set: RuleSet): RulesDocument {
  const rules: Record<string, RuleEntry> = {};
  for (const r of set.rules) rules[r.id] = { kind: r.kind.kind, enabled: r.enabled, mode: r.mode, ...r.spec };
  return { version: 1, extends: 'none', suspicion: { ...set.suspicion }, rules };
}

/** The README's rule table, made from the rules in force. */
export function rulesTable(set: RuleSet): string {
  const rows = set.rules.map(
    (r) => `| \`${r.id}\` | \`${r.kind.kind}\` | ${r.enabled ? '' : '(off) '}${r.kind.describe(r.spec, set.suspicion)} |`,
  );
  return ['| rule | kind | what it does (defaults) |', '|---|---|---|', ...rows].join('\n');
}

function compileRule(id: string, entry: RuleEntry, source: string): CompiledRule {
  const at = `${source}: rule "${id}"`;
  const kindName = entry.kind ?? (RULE_KINDS.has(id) ? id : undefined);
  if (kindName === undefined) throw new RulesError(`${at}: kind is missing (one of ${[...RULE_KINDS.keys()].join(', ')})`);
  const kind = RULE_KINDS.get(kindName);
  if (!kind) throw new RulesError(`${at}: kind must be one of ${[...RULE_KINDS.keys()].join(', ')}, got ${show(kindName)}`);
  if (entry.enabled !== undefined && typeof entry.enabled !== 'boolean')
    throw new RulesError(`${at}: enabled must be true or false, got ${show(entry.enabled)}`);
  if (entry.mode !== undefined && entry.mode !== 'enforce' && entry.mode !== 'observe')
    throw new RulesError(`${at}: mode must be enforce or observe, got ${show(entry.mode)}`);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!COMMON.has(k)) params[k] = v;
  const parsed = kind.params.safeParse(params);
  if (!parsed.success) {
    // What the operator wrote wrong comes first; missing settings only once nothing written is wrong.
    const written = parsed.error.issues.filter(
      (i) => i.code === 'unrecognized_keys' || (i.path[0] !== undefined && params[String(i.path[0])] !== undefined),
    );
    const lines = (written.length ? written : parsed.error.issues).map((issue) => `${at}: ${describeIssue(issue, params)}`);
    throw new RulesError(lines.join('\n'));
  }
  return { id, kind, spec: parsed.data, enabled: entry.enabled ?? true, mode: entry.mode ?? 'enforce' };
}

function describeIssue(issue: z.core.$ZodIssue, params: Record<string, unknown>): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const field = issue.path.map(String).join('.');
  let value: unknown = params;
  for (const p of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  return `${field} ${issue.message}, got ${value === undefined ? 'nothing' : show(value)}`;
}

function checkShape(input: unknown, source: string): RulesDocument {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new RulesError(`${source}: must be a mapping with version and rules, got ${show(input)}`);
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!TOP_LEVEL.has(k)) throw new RulesError(`${source}: unknown top-level setting "${k}" (allowed: ${[...TOP_LEVEL].join(', ')})`);
  if (o['version'] !== 1) throw new RulesError(`${source}: version must be 1, got ${show(o['version'])}`);
  if (o['extends'] !== undefined && o['extends'] !== 'defaults' && o['extends'] !== 'none')
    throw new RulesError(`${source}: extends must be defaults or none, got ${show(o['extends'])}`);
  const rules = o['rules'] ?? {};
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules))
    throw new RulesError(`${source}: rules must be a mapping of rule id to settings, got ${show(rules)}`);
  const suspicion = o['suspicion'];
  if (suspicion !== undefined && (suspicion === null || typeof suspicion !== 'object' || Array.isArray(suspicion))) {
    throw new RulesError(`${source}: suspicion must be a mapping with ratio and seconds, got ${show(suspicion)}`);
  }
  return { ...(o as unknown as RulesDocument), rules: rules as Record<string, RuleEntry> };
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}
