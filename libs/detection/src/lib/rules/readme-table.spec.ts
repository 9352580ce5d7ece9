import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RULES } from './default-rules';
import { compileRules, rulesTable } from './rules-document';

/** The README's rule table is made from the defaults (`npm run docs:rules`), so the two cannot drift. */
describe('README rule table', () => {
  it('is the table of the built-in rules', () => {
    const readme = readFileSync(join(__dirname, '../../../../../README.md'), 'utf8');
    const m = /<!-- rules-table:start -->\n([\s\S]*?)\n<!-- rules-table:end -->/.exec(readme);
    expect(m?.[1]).toBe(rulesTable(compileRules(DEFAULT_RULES, 'defaults')));
  });
});
