/**
 * Writes the table of the built-in detection rules into README.md between the
 * `<!-- rules-table:start -->` and `<!-- rules-table:end -->` markers (`npm run docs:rules`).
 * A unit test (libs/detection/src/lib/rules/readme-table.spec.ts) fails when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules, DEFAULT_RULES, rulesTable } from '../../libs/detection/src';

const file = join(__dirname, '../../README.md');
const readme = readFileSync(file, 'utf8');
const table = rulesTable(compileRules(DEFAULT_RULES, 'defaults'));
const next = readme.replace(/(<!-- rules-table:start -->\n)[\s\S]*?(<!-- rules-table:end -->)/, `$1${table}\n$2`);
if (next === readme && !readme.includes(table))
  throw new Error('README.md has no <!-- rules-table:start --> … <!-- rules-table:end --> markers');
writeFileSync(file, next);
process.stdout.write(next === readme ? 'README rule table already up to date\n' : 'README rule table written\n');
