import type { RulesDocument } from './rules-document.types';

/**
 * The rules in force when no RULES_FILE is given: the original prototype's numbers (60 s
 * window, 300 s ban, suspicious at 70 %, a sign-in buffer from the 5th failure, the 5th
 * successful sign-in in a minute refused), with the account rule of the security review (M10):
 * a budget per account-and-client pair and a spacing of seconds instead of a 300 s lock. The README's rule table is checked against this.
 */
export const DEFAULT_RULES: RulesDocument = {
  version: 1,
  suspicion: { ratio: 0.7, seconds: 600 },
  rules: {
    'request-rate': { kind: 'request-rate', threshold: 300, windowSeconds: 60, blockSeconds: 300, escalate: true },
    'failed-logins': { kind: 'login-buffer', threshold: 5, bufferSeconds: 60, memorySeconds: 3600 },
    // The same buffer per IPv6 allocation: rotating /64s inside a /56 or a /48 buys no fresh budget.
    'failed-logins-per-56': { kind: 'login-buffer', threshold: 10, bufferSeconds: 60, memorySeconds: 3600, ipv6Prefix: 56 },
    'failed-logins-per-48': { kind: 'login-buffer', threshold: 20, bufferSeconds: 60, memorySeconds: 3600, ipv6Prefix: 48 },
    'account-failed-logins': {
      kind: 'account-backoff',
      threshold: 10,
      windowSeconds: 3600,
      maxDelaySeconds: 5,
      clientThreshold: 1,
      ipv6Prefix: 48,
    },
    'successful-logins': { kind: 'success-velocity', threshold: 5, windowSeconds: 60, blockStepSeconds: 60 },
    'token-misuse': { kind: 'token-spread', maxClients: 3, blockSeconds: 300, escalate: true },
    'refresh-reuse': { kind: 'refresh-reuse' },
    probing: { kind: 'probing', threshold: 20, windowSeconds: 60, blockSeconds: 300, escalate: true, statuses: [401, 403, 404] },
    'repeat-offenders': { kind: 'escalation', windowSeconds: 86400, factor: 2, maxSeconds: 86400 },
  },
};
