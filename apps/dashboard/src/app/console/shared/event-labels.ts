/** Audit event types as an admin reads them (D13); the raw type stays in the title and the audit filter. */
const LABELS: Record<string, string> = {
  'login.failed': 'Failed sign-in',
  'login.succeeded': 'Signed in',
  'login.blocked': 'Sign-in refused',
  'account.delayed': 'Account throttled',
  'gateway.login.failed': 'Failed sign-in (gateway)',
  'decision.blocked': 'Blocked',
  'decision.suspicious': 'Marked suspicious',
  'decision.unblocked': 'Unblocked',
  'decision.lifted': 'Decision lifted',
  'decision.cleared': 'Suspicion cleared',
  'token.refresh-reuse': 'Refresh token reused',
  'auth.logout': 'Signed out',
  'auth.logout-everywhere': 'Signed out everywhere',
  'user.created': 'User created',
  'user.updated': 'User changed',
  'user.deleted': 'User deleted',
  'user.password-changed': 'Password changed',
  'user.password-reset': 'Password reset',
  'device.revoked': 'Device forgotten',
  'device.revoked-all': 'All devices forgotten',
  'list.allow.added': 'Allowlisted',
  'list.allow.removed': 'Removed from allowlist',
  'list.deny.added': 'Denylisted',
  'list.deny.removed': 'Removed from denylist',
  'audit.exported': 'Audit log exported',
  'backup.taken': 'Backup taken',
  'backup.restored': 'Backup restored',
  'alert.failed': 'Alert not delivered',
};

/** "login.failed" → "Failed sign-in"; an unknown type becomes "Some type" rather than a raw id. */
export function eventLabel(type: string): string {
  const known = LABELS[type];
  if (known) return known;
  const words = type.replace(/[._-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
