/**
 * A package registry on loopback for the pack-install-run test: it serves the packed @ghostguard packages
 * and, for every third-party package they need at run time, a tarball of the copy pnpm installed in this
 * checkout. `npm install -g @ghostguard/cli --registry <it>` then installs exactly as an operator's would,
 * with no network beyond 127.0.0.1 (and no third-party version the lockfile did not choose).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';

export interface PackedPackage {
  name: string;
  version: string;
  /** package.json as it is inside the tarball (workspace: ranges replaced by pnpm pack). */
  manifest: Record<string, unknown> & { dependencies?: Record<string, string> };
  tarball: string;
}

/** package.json inside a packed tarball. */
export function manifestOf(tarball: string): PackedPackage['manifest'] {
  const text = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  return JSON.parse(text) as PackedPackage['manifest'];
}

/** The directory Node would load `name` from when required from `fromDir` (node_modules lookup). */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (let i = 0; i < 64; i++) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/**
 * Tarballs of every third-party package the given workspace packages need at run time (dependencies and
 * optionalDependencies, transitively), made from the copies pnpm installed. Peer dependencies are not
 * followed (the install runs with --legacy-peer-deps, as npm 6 did).
 */
export function packThirdParty(
  roots: Array<{ dir: string; dependencies: Record<string, string> }>,
  outDir: string,
): PackedPackage[] {
  const seen = new Map<string, PackedPackage>();
  const queue: Array<{ name: string; fromDir: string }> = [];
  for (const root of roots) {
    for (const name of Object.keys(root.dependencies)) {
      if (!name.startsWith('@ghostguard/')) queue.push({ name, fromDir: root.dir });
    }
  }
  // bounded: one visit per installed package directory
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const { name, fromDir } = queue[i]!;
    const dir = resolvePackageDir(name, fromDir);
    if (!dir) throw new Error(`${name}, needed from ${fromDir}, is not installed: run pnpm install`);
    if (seen.has(dir)) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackedPackage['manifest'];
    const version = String(manifest.version);
    const tarball = join(outDir, `${name.replace('/', '+')}-${version}.tgz`);
    // the installed copy as is (a native addon keeps its compiled build/), minus any nested node_modules
    execFileSync('tar', [
      '-czf',
      tarball,
      '-C',
      dir,
      '--hard-dereference',
      '--exclude=./node_modules',
      '--transform',
      's,^\\.,package,',
      '.',
    ]);
    seen.set(dir, { name, version, manifest, tarball });
    const deps = {
      ...(manifest.dependencies ?? {}),
      ...((manifest.optionalDependencies as Record<string, string> | undefined) ?? {}),
    };
    for (const dep of Object.keys(deps)) {
      if (resolvePackageDir(dep, dir) || !(dep in ((manifest.optionalDependencies as object) ?? {}))) {
        queue.push({ name: dep, fromDir: dir });
      }
    }
  }
  return [...seen.values()];
}

export interface LocalRegistry {
  url: string;
  /** Package names asked for that it does not hold (a dependency missing from the packs). */
  misses: string[];
  close(): Promise<void>;
}

/** Serves packuments (`GET /<name>`) and tarballs (`GET /-/<file>`) on 127.0.0.1. */
export async function startRegistry(packages: PackedPackage[]): Promise<LocalRegistry> {
  const byName = new Map<string, PackedPackage[]>();
  for (const p of packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const files = new Map<string, PackedPackage>();
  const misses: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const port = (server.address() as AddressInfo).port;
    if (path.startsWith('/-/')) {
      const pkg = files.get(path.slice(3));
      if (!pkg) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(pkg.tarball));
      return;
    }
    const name = path.slice(1);
    const versions = byName.get(name);
    if (!versions) {
      misses.push(name);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const doc = {
      name,
      'dist-tags': { latest: versions[versions.length - 1]!.version },
      versions: Object.fromEntries(
        versions.map((p) => {
          const bytes = readFileSync(p.tarball);
          const file = `${p.name.replace('/', '+')}-${p.version}.tgz`;
          files.set(file, p);
          return [
            p.version,
            {
              ...p.manifest,
              name: p.name,
              version: p.version,
              dist: {
                tarball: `http://127.0.0.1:${port}/-/${encodeURIComponent(file)}`,
                shasum: createHash('sha1').update(bytes).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
              },
            },
          ];
        }),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    misses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
