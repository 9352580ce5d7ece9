/**
 * The rules document: which rules are on, in which mode, with which numbers. The built-in
 * defaults are one (default-rules.ts); `RULES_FILE` (YAML or JSON) extends or replaces them;
 * `GET /admin/rules` answers the rules in force in this very format.
 *
 * ```yaml
 * version: 1
 * extends: defaults        # or `none`: only the rules listed here
 * suspicion: { ratio: 0.7, seconds: 600 }
 * rules:
 *   failed-logins: { threshold: 3 }           # changes one number of a built-in rule
 *   probing: { enabled: false }               # turns a rule off
 *   api-scan: { kind: probing, threshold: 50, windowSeconds: 60, blockSeconds: 600, escalate: true, statuses: [404] }
 * ```
 */
export interface RulesDocument {
  version: 1;
  extends?: 'defaults' | 'none';
  suspicion?: { ratio?: number; seconds?: number };
  rules: Record<string, RuleEntry>;
}

export interface RuleEntry {
  /** The rule kind; may be left out when the id is a built-in rule or itself a kind's name. */
  kind?: string;
  enabled?: boolean;
  /** `observe`: decisions are recorded and shown, not enforced. */
  mode?: 'enforce' | 'observe';
  [param: string]: unknown;
}
