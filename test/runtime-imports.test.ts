/**
 * Nothing from test code at run time (issue 21). Every runtime source file of every package is read and its
 * imports (static, `export … from`, dynamic with a literal, type-only included) are checked against the rules
 * below; every package.json's runtime dependencies are checked against the test-only packages. Runtime = a `.ts`
 * file under core/src, cli/src, plugins/<name>/src, demo/src, stand-ins/src or examples/<name>/src that is not
 * a test (`*.test.ts`), not under a `test-support/` or `__fixtures__/` folder, and not a package's `testing.ts`.
 * The checker is a pure function, and the last tests feed it bad imports to show it fails on each.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** Folders whose `.ts` files are runtime code (the rest of each is filtered by `isRuntimeFile`). */
const RUNTIME_ROOTS = ['core/src', 'cli/src', 'demo/src', 'stand-ins/src'];
const RUNTIME_ROOT_PARENTS = ['plugins', 'examples'];

/** Packages that exist for tests only: never a runtime dependency of any package. */
const TEST_ONLY_PACKAGES = ['@ghostguard/test', '@ghostguard/peers', 'vitest', 'fast-check'];
/** Runtime, but only for the demo: wire fakes of servers, never something a deployment runs. */
const DEMO_ONLY_PACKAGES = ['@ghostguard/stand-ins'];

interface SourceFile {
  /** Relative to the repository root, with `/`. */
  path: string;
  text: string;
}

interface PackageInfo {
  /** Folder relative to the root (`core`, `plugins/asterisk`…). */
  dir: string;
  name: string;
  /** dependencies, optionalDependencies and peerDependencies: what may be imported at run time. */
  runtimeDeps: ReadonlySet<string>;
}

const posix = (p: string) => p.split(sep).join('/');

function isRuntimeFile(path: string): boolean {
  const parts = path.split('/');
  const name = parts.at(-1) ?? '';
  return (
    name.endsWith('.ts') &&
    !name.endsWith('.test.ts') &&
    name !== 'testing.ts' &&
    !parts.includes('test-support') &&
    !parts.includes('__fixtures__') &&
    !parts.includes('node_modules')
  );
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

function runtimeSourceFiles(): SourceFile[] {
  const roots = [
    ...RUNTIME_ROOTS,
    ...RUNTIME_ROOT_PARENTS.flatMap((parent) =>
      readdirSync(join(ROOT, parent), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => `${parent}/${e.name}/src`),
    ),
  ];
  return roots
    .flatMap((r) => walk(join(ROOT, r)))
    .map((abs) => posix(relative(ROOT, abs)))
    .filter(isRuntimeFile)
    .map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
}

function workspacePackages(): PackageInfo[] {
  const dirs = ['core', 'cli', 'demo', 'stand-ins', 'test'];
  for (const parent of RUNTIME_ROOT_PARENTS) {
    for (const e of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      if (e.isDirectory() && existsSync(join(ROOT, parent, e.name, 'package.json'))) dirs.push(`${parent}/${e.name}`);
    }
  }
  return dirs
    .filter((d) => existsSync(join(ROOT, d, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      const deps = ['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((k) =>
        Object.keys((pkg[k] as Record<string, string> | undefined) ?? {}),
      );
      return { dir, name: String(pkg.name), runtimeDeps: new Set(deps) };
    });
}

/** Every module specifier a file names: imports, `export … from`, `import('…')`, `import x = require('…')`. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** `@scope/name` or `name` of a bare specifier. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const BUILTINS = new Set(builtinModules);

/**
 * What is wrong with each import of `files` (empty: nothing). `packages` are the workspace packages (their
 * folders decide which package a file belongs to); every message names the file and the import.
 */
function importViolations(files: readonly SourceFile[], packages: readonly PackageInfo[]): string[] {
  const byDir = [...packages].sort((a, b) => b.dir.length - a.dir.length);
  const packageOf = (path: string): PackageInfo | undefined =>
    byDir.find((p) => path === p.dir || path.startsWith(`${p.dir}/`));
  const plugins = new Map(packages.filter((p) => p.dir.startsWith('plugins/')).map((p) => [p.name, p]));
  const out: string[] = [];
  for (const file of files) {
    const own = packageOf(file.path);
    const bad = (specifier: string, why: string) => out.push(`${file.path} imports '${specifier}': ${why}`);
    for (const specifier of importsOf(file.text)) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = posix(relative(ROOT, resolve(ROOT, dirname(file.path), specifier)));
        const parts = target.split('/');
        const name = basename(target).replace(/\.(js|ts|mjs|mts)$/, '');
        if (target.startsWith('..')) bad(specifier, 'a path outside the repository');
        else if (parts[0] === 'test') bad(specifier, 'test code (under test/)');
        else if (parts.includes('test-support') || parts.includes('__fixtures__'))
          bad(specifier, 'test code (a test-support/ or __fixtures__/ path)');
        else if (name === 'testing' || name.endsWith('.test')) bad(specifier, 'test code (a testing or test file)');
        else if (packageOf(target)?.dir !== own?.dir)
          bad(specifier, `a relative path into another package (${packageOf(target)?.dir ?? 'the root'})`);
        continue;
      }
      if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue;
      const name = packageNameOf(specifier);
      if (name === '@ghostguard/peers' || name === '@ghostguard/test') bad(specifier, 'a test-only package');
      else if (/^@ghostguard\/[^/]+\/testing(\/|$)/.test(specifier)) bad(specifier, "a package's testing subpath");
      else if (own?.dir === 'core' && name.startsWith('@ghostguard/') && name !== '@ghostguard/core')
        bad(specifier, 'the core imports no other ghostguard package (cli, plugins, demo, stand-ins)');
      else if (own?.dir.startsWith('plugins/') && plugins.has(name) && name !== own.name)
        bad(specifier, 'a plugin imports no other plugin');
      else if (own !== undefined && name !== own.name && !own.runtimeDeps.has(name))
        bad(specifier, `${own.dir}/package.json does not list ${name} among its runtime dependencies`);
    }
  }
  return out;
}

/** Test-only packages listed among a package's runtime dependencies (the test package itself excepted). */
function dependencyViolations(packages: readonly PackageInfo[]): string[] {
  return packages
    .filter((p) => p.dir !== 'test')
    .flatMap((p) => [
      ...TEST_ONLY_PACKAGES.filter((t) => p.runtimeDeps.has(t)).map(
        (t) => `${p.dir}/package.json lists the test-only package ${t} as a runtime dependency`,
      ),
      ...DEMO_ONLY_PACKAGES.filter((t) => p.name !== '@ghostguard/demo' && p.runtimeDeps.has(t)).map(
        (t) => `${p.dir}/package.json lists ${t} (the demo's stand-ins) as a runtime dependency`,
      ),
    ]);
}

describe('nothing from test code at run time', () => {
  const packages = workspacePackages();
  const files = runtimeSourceFiles();

  it('finds the runtime files of every package', () => {
    for (const dir of ['core/src/', 'cli/src/', 'plugins/h323-gate/src/', 'demo/src/', 'stand-ins/src/', 'examples/']) {
      expect(
        files.some((f) => f.path.startsWith(dir)),
        dir,
      ).toBe(true);
    }
    expect(files.filter((f) => !isRuntimeFile(f.path))).toEqual([]);
    expect(files.map((f) => f.path)).not.toContain('plugins/h323-gate/src/testing.ts');
  });

  it('no runtime file imports test code, another package by path, or a package it does not depend on', () => {
    expect(importViolations(files, packages)).toEqual([]);
  });

  it('no package lists a test-only package among its runtime dependencies', () => {
    expect(packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@ghostguard/core', '@ghostguard/cli', '@ghostguard/demo', '@ghostguard/stand-ins']),
    );
    expect(dependencyViolations(packages)).toEqual([]);
  });
});

describe('the check itself fails on each kind of violation', () => {
  const deps = (...names: string[]) => new Set(names);
  const packages: PackageInfo[] = [
    { dir: 'core', name: '@ghostguard/core', runtimeDeps: deps('zod') },
    { dir: 'cli', name: '@ghostguard/cli', runtimeDeps: deps('@ghostguard/core', '@ghostguard/peers') },
    { dir: 'plugins/a', name: '@ghostguard/a', runtimeDeps: deps('@ghostguard/core', '@ghostguard/b') },
    { dir: 'plugins/b', name: '@ghostguard/b', runtimeDeps: deps('@ghostguard/core') },
    { dir: 'demo', name: '@ghostguard/demo', runtimeDeps: deps('@ghostguard/core', '@ghostguard/stand-ins') },
    { dir: 'test', name: '@ghostguard/test', runtimeDeps: deps('@ghostguard/peers') },
  ];
  const check = (path: string, text: string) => importViolations([{ path, text }], packages);

  it.each([
    ['core/src/x.ts', "import { readCapture } from '../../cli/src/capture/index.js';", 'another package'],
    ['core/src/x.ts', "import { main } from '@ghostguard/cli';", 'the core imports no other'],
    ['core/src/x.ts', "import { sipAttempt } from './testing.js';", 'testing or test file'],
    ['core/src/h323/x.ts', "import { f } from '../capture/test-support/tshark.js';", 'test-support'],
    ['cli/src/x.ts', "export { peer } from '../../test/ghost-fixtures.js';", 'under test/'],
    ['cli/src/x.ts', "import type { AmiPeer } from '@ghostguard/peers/ami';", 'test-only package'],
    ['cli/src/x.ts', "const m = await import('@ghostguard/core/testing');", 'testing subpath'],
    ['cli/src/x.ts', "import { z } from 'zod';", 'does not list zod'],
    ['plugins/a/src/x.ts', "import { b } from '@ghostguard/b';", 'no other plugin'],
    ['demo/src/x.ts', "import { waitUntil } from '@ghostguard/h323-gate/testing';", 'testing subpath'],
    [
      'demo/src/x.ts',
      "const f = readFileSync(new URL('x', import.meta.url)); import '../../../shared/x.js';",
      'outside',
    ],
  ])('%s: %s', (path, text, why) => {
    const found = check(path, text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(path);
    expect(found[0]).toContain(why);
  });

  it('lets runtime imports through: own files, node builtins, declared packages, runtime subpaths', () => {
    expect(
      check(
        'demo/src/x.ts',
        "import { a } from './a.js';\nimport { readFileSync } from 'node:fs';\nimport { createGuard } from '@ghostguard/core';\nimport { dial } from '@ghostguard/stand-ins/h323';\n// import { no } from '@ghostguard/peers';",
      ),
    ).toEqual([]);
  });

  it('flags test-only runtime dependencies, and the stand-ins anywhere but in the demo', () => {
    expect(dependencyViolations(packages)).toEqual([
      'cli/package.json lists the test-only package @ghostguard/peers as a runtime dependency',
    ]);
    expect(
      dependencyViolations([{ dir: 'cli', name: '@ghostguard/cli', runtimeDeps: deps('@ghostguard/stand-ins') }]),
    ).toEqual(["cli/package.json lists @ghostguard/stand-ins (the demo's stand-ins) as a runtime dependency"]);
  });
});
