#!/usr/bin/env node
// Parses each file given with Mermaid's own parser (the `mermaid` package, as GitHub
// draws diagrams with it) and prints one line per file:
//
//     ok <file> <diagram type> <config set by the diagram, as JSON>
//     error <file> <the parser's message, on one line>
//
// Exits 1 when a file does not parse. Mermaid sanitises labels with DOMPurify, which
// needs a DOM: jsdom's, so no browser is involved.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

globalThis.window = new JSDOM('').window;
const { default: mermaid } = await import('mermaid');

let failed = false;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  try {
    const parsed = await mermaid.parse(text);
    console.log(`ok ${file} ${parsed.diagramType} ${JSON.stringify(parsed.config ?? {})}`);
  } catch (error) {
    failed = true;
    console.log(`error ${file} ${String(error?.message ?? error).replace(/\s+/g, ' ')}`);
  }
}
process.exit(failed ? 1 : 0);
