// The browser half of `cargo bench --bench docs_page`: opens a `flowc docs` page in
// one headless Chromium and measures what a person waits for. Prints one JSON object:
//   ready_ms, load_ms: from navigation start to the page's data-ready mark and to the
//     end of the load event (median of --loads fresh loads; wall_ms: the same seen from
//     here, including the browser's own work);
//   parse_ms, index_ms: reading the embedded data and building the indexes (median);
//   search_ms: typing a query until its results are painted (median over queries);
//   focus_ms: selecting a table or a column by URL fragment until the graph and the
//     details are painted (median over selections).
//   node tests/browser/bench.mjs PAGE [--loads N]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from './chromium.mjs';

const file = process.argv[2], at = process.argv.indexOf("--loads");
const loadsArg = at > 0 ? process.argv[at + 1] : null;
const loads = Number(loadsArg || 5);
const url = pathToFileURL(resolve(file)).href;
const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);

const browser = await launch();
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const ready = [], load = [], wall = [], parse = [], index = [];
  let page;
  for (let i = 0; i < loads; i++) {
    if (page) await page.close();
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const started = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    wall.push(Date.now() - started);
    const t = await page.evaluate(() => {
      const mark = (name) => performance.getEntriesByName(name)[0].startTime;
      return { ready: mark('flowc-ready'), load: performance.getEntriesByType('navigation')[0].loadEventEnd,
        parse: mark('flowc-parsed') - mark('flowc-start'), index: mark('flowc-indexed') - mark('flowc-parsed') };
    });
    ready.push(t.ready); load.push(t.load); parse.push(t.parse); index.push(t.index);
  }

  // Queries and selections drawn from the page's own data.
  const picks = await page.evaluate(() => {
    const d = JSON.parse(document.getElementById('flowc-data').textContent);
    const at = (f) => d.tables[Math.floor(d.tables.length * f)];
    const col = (t, c) => `${t.name}.${t.columns[Math.min(c, t.columns.length - 1)].name}`;
    const tables = [0.5, 0.9, 0.1, 0.7, 0.3].map((f) => at(f));
    return {
      queries: [tables[0].name, col(tables[1], 1), tables[2].name.slice(-4), 'amount', tables[3].name.slice(0, 6), col(tables[4], 0)],
      hashes: tables.flatMap((t, i) => [`#table/${encodeURIComponent(t.name)}`, `#column/${encodeURIComponent(col(t, i))}`]),
    };
  });
  // Until the next frame is painted after the change.
  const search = [];
  for (const q of picks.queries) {
    await page.fill('#search', '');
    search.push(await page.evaluate((q) => new Promise((done) => {
      const box = document.getElementById('search'), t = performance.now();
      box.value = q;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      requestAnimationFrame(() => setTimeout(() => done(performance.now() - t), 0));
    }), q));
  }
  const focus = [];
  for (const h of picks.hashes) {
    focus.push(await page.evaluate((h) => new Promise((done) => {
      const t = performance.now();
      window.addEventListener('hashchange', () => requestAnimationFrame(() => setTimeout(() => done(performance.now() - t), 0)), { once: true });
      location.hash = h;
    }), h));
  }
  const nodes = await page.locator('#graph [data-node]').count();
  console.log(JSON.stringify({
    ready_ms: round(median(ready)), load_ms: round(median(load)), wall_ms: round(median(wall)),
    parse_ms: round(median(parse)), index_ms: round(median(index)),
    search_ms: round(median(search)), search_max_ms: round(Math.max(...search)),
    focus_ms: round(median(focus)), focus_max_ms: round(Math.max(...focus)),
    loads, queries: search.length, selections: focus.length, last_graph_nodes: nodes, errors,
  }));
} finally {
  await browser.close();
}
if (errors.length) process.exit(1);
