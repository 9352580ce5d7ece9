import { ApiPaths, ROLES } from '../index';

describe('contracts', () => {
  it('keeps the paths existing clients call', () => {
    expect(ApiPaths.token).toBe('/token');
    expect(ApiPaths.validateToken).toBe('/validate-token');
    expect(ApiPaths.dashboardData).toBe('/dashboard-data');
    expect(ApiPaths.adminStats).toBe('/admin/stats');
  });
  it('has exactly two roles', () => {
    expect([...ROLES].sort()).toEqual(['admin', 'user']);
  });
});
