// The browser test of the `flowc docs` page (run by tests/integration/docs_page.rs):
// opens the page from a file:// URL in one headless Chromium and checks what a person
// would: no console or page errors and no request leaving the page; search finds a
// column; selecting a column, by URL fragment and by clicking its search result,
// highlights exactly the columns `flowc lineage` computes; a flow filter hides the
// results of other flows; expanding a node shows more; hostile text stays text.
//
//   node tests/browser/docs_page.mjs --page DOCS.html --out DIR [--readme PNG]
//        [--hostile-flow FLOW --hostile-text FILE] --expect LINEAGE.json…
//        [--expect-indirect LINEAGE.json…]
//
// Each LINEAGE.json is `flowc lineage REPO COLUMN --format json` output; the page's
// path for its focus must be exactly its nodes (so run flowc with --downstream 99, or
// with --downstream 0 on a column nothing reads); --expect-indirect: the same with
// --indirect, which the page's path must equal when its indirect box is ticked.
// Exits non-zero with the failures.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from './chromium.mjs';

function parseArgs(argv) {
  const args = { expect: [], 'expect-indirect': [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    if (Array.isArray(args[key])) args[key].push(argv[i + 1]);
    else args[key] = argv[i + 1];
  }
  if (!args.page || !args.out) throw new Error('usage: docs_page.mjs --page FILE --out DIR [--readme PNG] [--hostile-flow F --hostile-text FILE] --expect JSON…');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const pageUrl = pathToFileURL(resolve(args.page)).href;
mkdirSync(args.out, { recursive: true });
const failures = [];
function check(ok, message) {
  if (!ok) failures.push(message);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
}
const sorted = (set) => Array.from(set).sort();
function sameSet(actual, expected, what) {
  const a = new Set(actual), e = new Set(expected);
  const missing = sorted(e).filter((x) => !a.has(x)), extra = sorted(a).filter((x) => !e.has(x));
  check(missing.length === 0 && extra.length === 0,
    `${what}: ${a.size} highlighted, ${e.size} expected` +
      (missing.length ? `; missing ${missing.join(', ')}` : '') + (extra.length ? `; extra ${extra.join(', ')}` : ''));
}

const browser = await launch();
const errors = [], requests = [];
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  // Offline: every request but the page file itself is recorded and refused.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.split('#')[0] === pageUrl) return route.continue();
    requests.push(url);
    return route.abort();
  });
  // Every check starts from a fresh load in a new tab (a goto that only changes the
  // fragment would not reload the page).
  let page = null;
  async function open(hash = '') {
    if (page) await page.close();
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => { if (r.url().split('#')[0] !== pageUrl) requests.push(r.url()); });
    await page.goto(pageUrl + hash);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
  }
  const pathColumns = () => page.$$eval('#graph [data-column].path', (els) => els.map((e) => e.getAttribute('data-column')));
  const shot = (name) => page.screenshot({ path: join(args.out, `${name}.png`) });

  await open();
  await shot('overview');
  const data = await page.evaluate(() => JSON.parse(document.getElementById('flowc-data').textContent));
  check(data.version === 1 && data.tables.length > 0, `the page holds the data (${data.tables.length} tables)`);

  for (const file of args.expect) {
    const lineage = JSON.parse(readFileSync(file, 'utf8'));
    const focus = lineage.focus, expected = lineage.nodes.map((n) => n.id);
    check(expected.length > 2, `flowc lineage gives ${focus} a path of ${expected.length} columns`);

    // By URL fragment, on a fresh load.
    await open(`#column/${encodeURIComponent(focus)}`);
    await page.waitForSelector(`#graph [data-column="${focus}"]`);
    sameSet(await pathColumns(), expected, `${focus} by URL fragment`);
    await shot(`column-${focus}`);

    // By search and a click on the result, from another selection.
    await open();
    const leaf = focus.slice(focus.lastIndexOf('.') + 1);
    await page.fill('#search', leaf);
    const result = page.locator(`#results [data-result="column:${focus}"]`);
    check(await result.count() === 1, `searching "${leaf}" finds column ${focus}`);
    await result.click();
    await page.waitForSelector(`#graph [data-column="${focus}"]`);
    check(decodeURIComponent(new URL(page.url()).hash) === `#column/${focus}`, `clicking the result selects it (${page.url().split('#')[1]})`);
    sameSet(await pathColumns(), expected, `${focus} by clicking its search result`);
    check(await page.locator(`#details h2`).textContent() === focus, 'the details show the column');
  }

  // With the indirect box ticked, the path is `flowc lineage --indirect`'s.
  for (const file of args['expect-indirect']) {
    const lineage = JSON.parse(readFileSync(file, 'utf8'));
    const focus = lineage.focus, expected = lineage.nodes.map((n) => n.id);
    await open(`#column/${encodeURIComponent(focus)}`);
    const direct = await pathColumns();
    await page.check('#indirect');
    const withIndirect = await pathColumns();
    check(withIndirect.length > direct.length, `the indirect box adds columns to ${focus}'s path (${direct.length} → ${withIndirect.length})`);
    // The data lists an INDIRECT source once per table it bears on, and each table the
    // columns its writer writes: the page's path is flowc's, column for column.
    sameSet(withIndirect, expected, `${focus} with INDIRECT edges (flowc lineage --indirect)`);
    await shot(`indirect-${focus}`);
  }

  // A flow filter hides what belongs to other flows.
  await open();
  const flowOf = (id) => {
    const [kind, name] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)];
    const tableFlow = (t) => (t.writer === null ? null : data.flows[data.tasks[t.writer].flow].name);
    if (kind === 'flow') return name;
    if (kind === 'task') return name.slice(0, name.indexOf('.'));
    if (kind === 'table') return tableFlow(data.tables.find((t) => t.name === name));
    if (kind === 'column') return tableFlow(data.tables.find((t) => name.startsWith(`${t.name}.`) && t.columns.some((c) => `${t.name}.${c.name}` === name)));
    return null;
  };
  const resultIds = () => page.$$eval('#results [data-result]', (els) => els.map((e) => e.getAttribute('data-result')));
  await page.fill('#search', 'amount');
  const before = await resultIds();
  const flow = data.flows.find((f) => before.some((id) => flowOf(id) === f.name) && before.some((id) => flowOf(id) !== f.name));
  check(flow !== undefined, `searching "amount" finds results of several flows (${before.length})`);
  if (flow) {
    await page.selectOption('#filter-flow', { label: flow.name });
    const after = await resultIds();
    const strays = after.filter((id) => flowOf(id) !== flow.name);
    check(after.length > 0 && strays.length === 0 && after.length < before.length,
      `the ${flow.name} flow filter keeps ${after.length} of ${before.length} results, all its own` + (strays.length ? `; strays: ${strays.join(', ')}` : ''));
    await shot('filter-flow');
    await page.selectOption('#filter-flow', '');
  }

  // Expanding a node one step shows more tables; depth 0 both ways shows the focus only.
  const focusTable = data.tables.find((t) => t.writer !== null && t.readers.length > 0).name;
  await open(`#table/${encodeURIComponent(focusTable)}`);
  await page.fill('#depth-up', '0');
  await page.dispatchEvent('#depth-up', 'change');
  await page.fill('#depth-down', '0');
  await page.dispatchEvent('#depth-down', 'change');
  const nodes = () => page.locator('#graph [data-node]').count();
  check(await nodes() === 1, `depth 0 both ways shows ${focusTable} alone`);
  await page.locator(`#graph [data-node="${focusTable}"] [data-expand]`).first().click();
  check(await nodes() > 1, `expanding ${focusTable} shows ${await nodes() - 1} more tables`);

  // Hostile text in a description is shown as text and runs nothing.
  if (args['hostile-flow']) {
    const text = readFileSync(args['hostile-text'], 'utf8').trim();
    await open(`#flow/${encodeURIComponent(args['hostile-flow'])}`);
    const shown = await page.locator('#details .desc').textContent();
    check(shown === text, `the hostile description is shown as text (${JSON.stringify(shown)})`);
    check(await page.evaluate(() => document.body.dataset.pwned === undefined), 'no hostile script ran');
    check(await page.locator('#details img, #details script').count() === 0, 'no hostile element was made');
    const words = text.slice(-16);
    await page.fill('#search', words);
    check(await page.locator(`#results [data-result="flow:${args['hostile-flow']}"]`).count() === 1, `searching ${JSON.stringify(words)} finds the flow by its description`);
  }

  // The picture for the README: a column path from the source database to the report.
  if (args.readme && args.expect.length) {
    const focus = JSON.parse(readFileSync(args.expect[0], "utf8")).focus;
    await open(`#column/${encodeURIComponent(focus)}`);
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    await page.fill('#search', 'amount');
    await page.screenshot({ path: args.readme });
  }
} finally {
  await browser.close();
}

check(errors.length === 0, `no console or page errors${errors.length ? `: ${errors.join('; ')}` : ''}`);
check(requests.length === 0, `no request left the page${requests.length ? `: ${requests.join(', ')}` : ''}`);
if (failures.length) {
  console.log(`\n${failures.length} failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\nall checks passed');
