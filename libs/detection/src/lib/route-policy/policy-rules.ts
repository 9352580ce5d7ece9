import { compileRules, type RuleSet } from '../rules/rules-document';
import type { RuleEntry } from '../rules/rules-document.types';
import type { RoutePolicy } from './route-policy';

/** The engine rule id of a class limit: `route:<class>:client|subject|admin`. */
export function routeLimitRuleId(cls: string, per: 'client' | 'subject' | 'admin'): string {
  return `route:${cls}:${per}`;
}

/**
 * The route policy's limits as engine rules (kind `route-limit`), one per class and key, so
 * they run through the same engine and counter store as every other rule. A class in observe
 * mode gives rules in observe mode: their refusals are recorded, not enforced.
 */
export function routePolicyRules(policy: RoutePolicy): RuleSet['rules'] {
  const rules: Record<string, RuleEntry> = {};
  for (const c of policy.classes) {
    const mode = c.observe ? 'observe' : 'enforce';
    const { client, subject, admin } = c.rateLimits;
    if (client) rules[routeLimitRuleId(c.name, 'client')] = { kind: 'route-limit', mode, routeClass: c.name, per: 'client', ...client };
    if (subject)
      rules[routeLimitRuleId(c.name, 'subject')] = {
        kind: 'route-limit',
        mode,
        routeClass: c.name,
        per: 'subject',
        ...(admin ? { exceptRoles: ['admin'] } : {}),
        ...subject,
      };
    if (admin)
      rules[routeLimitRuleId(c.name, 'admin')] = {
        kind: 'route-limit',
        mode,
        routeClass: c.name,
        per: 'subject',
        roles: ['admin'],
        ...admin,
      };
  }
  return compileRules({ version: 1, extends: 'none', rules }, policy.source).rules;
}
