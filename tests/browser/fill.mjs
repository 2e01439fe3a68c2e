// Fills the four markers of assets/docs/page.html the way `flowc docs` does (see the
// data contract): a stand-in for the Rust side that lets the page be tried on a
// hand-made or generated data file.
//     node tests/browser/fill.mjs DATA.json OUT.html [TITLE]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const assets = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'docs');
const [dataPath, out, title = 'flowc docs'] = process.argv.slice(2);
if (!dataPath || !out) {
  console.error('usage: node fill.mjs DATA.json OUT.html [TITLE]');
  process.exit(2);
}
const read = (name) => readFileSync(join(assets, name), 'utf8');
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const data = JSON.stringify(JSON.parse(readFileSync(dataPath, 'utf8')))
  .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
const values = { title: escapeHtml(title), style: read('page.css'), script: read('page.js'), data };
const page = read('page.html');
for (const name of Object.keys(values)) {
  const marker = `{{${name}}}`;
  if (page.split(marker).length !== 2) throw new Error(`page.html must hold ${marker} exactly once`);
}
// One pass, so a marker inside a value is never replaced again.
writeFileSync(out, page.replace(/\{\{(title|style|script|data)\}\}/g, (_, name) => values[name]));
