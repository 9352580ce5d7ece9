/** HTTP paths shared by the API and the dashboard. */
export const ApiPaths = {
  token: '/token',
  session: '/session',
  sessionRefresh: '/session/refresh',
  validateToken: '/validate-token',
  me: '/me',
  mePassword: '/me/password',
  logout: '/logout',
  logoutEverywhere: '/me/logout-everywhere',
  dashboardData: '/dashboard-data',
  adminStats: '/admin/stats',
  adminTraffic: '/admin/traffic',
  adminPolicy: '/admin/policy',
  adminUsers: '/admin/users',
  adminDecisions: '/admin/decisions',
  adminBlocks: '/admin/blocks',
  adminSuspicions: '/admin/suspicions',
  adminLists: '/admin/lists',
  health: '/health',
  ready: '/health/ready',
  jwks: '/.well-known/jwks.json',
} as const;

/** `POST` here resets a user's password (admin). */
export function adminUserPasswordResetPath(username: string): string {
  return `${ApiPaths.adminUsers}/${encodeURIComponent(username)}/password-reset`;
}
