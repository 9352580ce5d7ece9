import { accountBackoff } from './kinds/account-backoff.rule';
import { escalation } from './kinds/escalation.rule';
import { loginBuffer } from './kinds/login-buffer.rule';
import { probing } from './kinds/probing.rule';
import { refreshReuse } from './kinds/refresh-reuse.rule';
import { requestRate } from './kinds/request-rate.rule';
import { routeLimit } from './kinds/route-limit.rule';
import { successVelocity } from './kinds/success-velocity.rule';
import { tokenSpread } from './kinds/token-spread.rule';
import type { RuleKind } from './rule-kind';

/** Every rule kind, by name. A new kind is one file in kinds/ and one line here. */
export const RULE_KINDS: ReadonlyMap<string, RuleKind> = new Map(
  (
    [
      requestRate,
      probing,
      loginBuffer,
      accountBackoff,
      successVelocity,
      tokenSpread,
      refreshReuse,
      escalation,
      routeLimit,
    ] as unknown as RuleKind[]
  ).map((k) => [k.kind, k]),
);
