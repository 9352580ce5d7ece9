import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate` to write SQL migrations from schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/api/src/db/schema.ts',
  out: './apps/api/src/db/migrations',
});
