/**
 * Issue 21: every error a code, every code documented. Loads every package's public index (so each defines its
 * codes), then holds docs/errors.md against definedErrorCodes(), and scans the runtime sources for errors made
 * without the factory.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsteriskError } from '@ghostguard/asterisk';
// The CLI's index: codes defined anywhere in the command (daemon, analyze, demo, capture) are loaded too.
import '@ghostguard/cli';
import { type DefinedCode, definedErrorCodes, GhostguardError } from '@ghostguard/core';
import { DrachtioError } from '@ghostguard/drachtio';
import { FeedsError } from '@ghostguard/feeds';
import { FreeswitchError } from '@ghostguard/freeswitch';
import { H323GateError } from '@ghostguard/h323-gate';
import { RedisBansError } from '@ghostguard/redis';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/src/commands/bans.js';
import { DaemonError } from '../cli/src/daemon/errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = 'docs/errors.md';
const CODE_SHAPE = /^GG_[A-Z0-9_]+$/;

interface DocRow {
  code: string;
  means: string;
  action: string;
  /** The `## ` heading the row is under. */
  section: string;
  line: number;
}

/** The table rows of docs/errors.md: `| \`GG_…\` | what it means | what to do |` (a `\|` inside a cell is text). */
function docRows(text: string): DocRow[] {
  const rows: DocRow[] = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('## ')) section = line.slice(3);
    if (!line.startsWith('|')) return;
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    const code = /^`?([^`]*)`?$/.exec(cells[0] ?? '')?.[1] ?? '';
    if (code === 'code' || /^-+$/.test(code)) return; // header and separator rows
    rows.push({ code, means: cells[1] ?? '', action: cells[2] ?? '', section, line: i + 1 });
  });
  return rows;
}

/** What is wrong between the defined codes and the doc's rows (empty: nothing). */
function docProblems(defined: readonly DefinedCode[], text: string): string[] {
  const problems: string[] = [];
  const rows = docRows(text);
  const byCode = new Map<string, DocRow>();
  for (const row of rows) {
    if (!CODE_SHAPE.test(row.code))
      problems.push(`${DOC}:${row.line}: ${JSON.stringify(row.code)} is not GG_[A-Z0-9_]+`);
    if (byCode.has(row.code)) problems.push(`${DOC}:${row.line}: ${row.code} listed twice`);
    byCode.set(row.code, row);
  }
  const known = new Map(defined.map((d) => [d.code, d]));
  for (const d of defined) {
    if (!CODE_SHAPE.test(d.code)) problems.push(`${d.owner} defines ${JSON.stringify(d.code)}: not GG_[A-Z0-9_]+`);
    if (d.means.trim() === '' || d.action.trim() === '')
      problems.push(`${d.owner} defines ${d.code} without means/action`);
    const row = byCode.get(d.code);
    if (row === undefined) {
      problems.push(`${d.code} (${d.owner}) is not in ${DOC}`);
      continue;
    }
    if (row.means === '' || row.action === '')
      problems.push(`${DOC}:${row.line}: ${d.code} has no meaning or no action`);
    if (!row.section.startsWith(d.owner)) {
      problems.push(`${DOC}:${row.line}: ${d.code} is under "${row.section}", not ${d.owner}'s section`);
    }
  }
  for (const row of rows) {
    if (CODE_SHAPE.test(row.code) && !known.has(row.code))
      problems.push(`${DOC}:${row.line}: ${row.code} is not defined`);
  }
  // Codes named anywhere else (the intro's examples, a cell naming another code) must exist too.
  text.split('\n').forEach((line, i) => {
    const own = rows.find((r) => r.line === i + 1)?.code;
    for (const [code] of line.matchAll(/\bGG_[A-Z0-9_]+\b/g)) {
      if (!known.has(code) && code !== own) problems.push(`${DOC}:${i + 1}: ${code} is not defined`);
    }
  });
  return problems;
}

/** Where runtime code lives: the packages' sources, without tests, test helpers and the testing entry points. */
const SOURCE_ROOTS = ['core/src', 'cli/src', ...readdirSync(join(ROOT, 'plugins')).map((p) => `plugins/${p}/src`)];

function runtimeSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a plugin folder without src/
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'test-support' && e.name !== '__fixtures__' && e.name !== 'node_modules') walk(path);
      } else if (
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.test.ts') &&
        !e.name.endsWith('.d.ts') &&
        e.name !== 'testing.ts'
      ) {
        files.push(path);
      }
    }
  };
  for (const root of SOURCE_ROOTS) walk(join(ROOT, root));
  return files;
}

/** Errors made without a package's factory: no code, nothing in docs/errors.md. */
const UNCODED = [/\bthrow new Error\(/, /\bnew TypeError\(/, /\bnew RangeError\(/];

/**
 * `file:line` sites the scan lets through, each with why. Keep it empty unless a site truly cannot carry a code
 * (the factory's own base class is not such a site: it is not a `new …Error(` expression).
 */
const ALLOWED = new Map<string, string>([]);

/** `file:line: text` of every uncoded error in `files` (paths relative to the repository). */
function uncodedSites(files: readonly string[], read: (path: string) => string): string[] {
  const sites: string[] = [];
  for (const file of files) {
    const rel = relative(ROOT, file);
    read(file)
      .split('\n')
      .forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*(\*|\/\*)/.test(code) || !UNCODED.some((re) => re.test(code))) return;
        const at = `${rel}:${i + 1}`;
        if (!ALLOWED.has(at)) sites.push(`${at}: ${line.trim()}`);
      });
  }
  return sites;
}

describe('error codes (docs/errors.md)', () => {
  const defined = definedErrorCodes();

  it('every package exports its error class, and the classes defined their codes', () => {
    const owners = new Set(defined.map((d) => d.owner));
    for (const cls of [
      GhostguardError,
      AsteriskError,
      FreeswitchError,
      DrachtioError,
      H323GateError,
      RedisBansError,
      FeedsError,
      DaemonError,
      UsageError,
    ]) {
      expect(owners, cls.owner).toContain(cls.owner);
      for (const code of Object.keys(cls.codes)) expect(defined.find((d) => d.code === code)?.owner).toBe(cls.owner);
    }
  });

  it('lists every defined code with what it means and what to do, and no code that is not defined', () => {
    const text = readFileSync(join(ROOT, DOC), 'utf8');
    expect(docProblems(defined, text)).toEqual([]);
  });

  it('fails on a defined code missing from the doc, an undefined one in it, a row without action or a bad name', () => {
    const doc = [
      '## OneError (x)',
      '| code | what it means | what to do |',
      '| --- | --- | --- |',
      '| `GG_ONE` | a \\| b | fix it |',
      '| `GG_STRAY` | gone | nothing |',
      '| `GG_NO_ACTION` | something |  |',
      '| `gg_lower` | bad | name |',
    ].join('\n');
    const codes: DefinedCode[] = [
      { code: 'GG_ONE', owner: 'OneError', means: 'm', action: 'a' },
      { code: 'GG_NO_ACTION', owner: 'OneError', means: 'm', action: 'a' },
      { code: 'GG_MISSING', owner: 'OneError', means: 'm', action: 'a' },
    ];
    expect(docProblems(codes, doc)).toEqual([
      `${DOC}:7: "gg_lower" is not GG_[A-Z0-9_]+`,
      `${DOC}:6: GG_NO_ACTION has no meaning or no action`,
      'GG_MISSING (OneError) is not in docs/errors.md',
      `${DOC}:5: GG_STRAY is not defined`,
    ]);
  });
});

/** `file:line: code` of every quoted `'GG_…'` in `files` that no package defines (a code logged but never documented). */
function undefinedCodeLiterals(files: readonly string[], read: (path: string) => string, known: Set<string>): string[] {
  const sites: string[] = [];
  for (const file of files) {
    read(file)
      .split('\n')
      .forEach((line, i) => {
        for (const [, code] of line.matchAll(/['"`](GG_[A-Z0-9_]*[A-Z0-9])['"`]/g)) {
          if (!known.has(code as string)) sites.push(`${relative(ROOT, file)}:${i + 1}: ${code}`);
        }
      });
  }
  return sites;
}

describe('runtime sources make errors through the factory', () => {
  it('every code a runtime source names (thrown, logged, answered) is defined, hence documented', () => {
    const known = new Set(definedErrorCodes().map((d) => d.code));
    expect(undefinedCodeLiterals(runtimeSources(), (p) => readFileSync(p, 'utf8'), known)).toEqual([]);
    expect(undefinedCodeLiterals([join(ROOT, 'cli/src/x.ts')], () => "log({ code: 'GG_NOWHERE' });", known)).toEqual([
      'cli/src/x.ts:1: GG_NOWHERE',
    ]);
  });

  it('no `throw new Error(`, `new TypeError(` or `new RangeError(` outside tests (file:line of any left)', () => {
    const files = runtimeSources();
    expect(files.length).toBeGreaterThan(100);
    expect(uncodedSites(files, (p) => readFileSync(p, 'utf8'))).toEqual([]);
  });

  it('names file:line of a violation', () => {
    const fake = join(ROOT, 'plugins/x/src/a.ts');
    const text =
      "ok();\n  throw new Error('no code');\n// throw new Error('a comment')\n * throw new Error(\nnew RangeError('r');\n";
    expect(uncodedSites([fake], () => text)).toEqual([
      "plugins/x/src/a.ts:2: throw new Error('no code');",
      "plugins/x/src/a.ts:5: new RangeError('r');",
    ]);
  });
});
