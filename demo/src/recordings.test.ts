import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG, recordingPath } from './recordings.js';
import { DEMO_SCENARIOS } from './scenarios.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const REPO = join(PACKAGE, '..');
const SHARED = join(REPO, '../shared/fixtures');

/** Where each folder of recordings/ was copied from, in the repository (test fixtures) and in ../shared. */
function originals(file: string): string[] {
  const [folder, name = ''] = file.split('/');
  switch (folder) {
    case 'recorded':
    case 'legit':
    case 'ghost':
      return [join(REPO, 'test/fixtures', folder, name)];
    case 'shared-recordings':
      return [
        join(REPO, 'test/fixtures', folder, name),
        name.startsWith('freeswitch-')
          ? join(SHARED, 'freeswitch-1.10.12', name.slice('freeswitch-'.length))
          : join(SHARED, 'sipvicious-0.3.3', name),
      ];
    case 'h323':
      return [join(REPO, 'plugins/h323-gate/src/__fixtures__', name), join(SHARED, 'h323', name)];
    case 'asterisk-20.20.1':
      return [join(SHARED, folder, name)];
    default:
      throw new Error(`recordings/${file}: no known origin (add it to recordings/README.md and here)`);
  }
}

function listed(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listed(join(dir, e.name))
      : e.name.startsWith('.') || e.name === 'README.md'
        ? []
        : [join(dir, e.name)],
  );
}

const RECORDINGS = listed(recordingPath('.')).map((p) => relative(recordingPath('.'), p).split('\\').join('/'));

describe("the demo's recordings", () => {
  it('ships every recording a scenario replays', () => {
    for (const f of DEMO_SCENARIOS.flatMap((s) => s.files)) expect(existsSync(f), f).toBe(true);
  });

  it.each(RECORDINGS)('%s is byte-identical to its original and named in recordings/README.md', (file) => {
    const bytes = readFileSync(recordingPath(file));
    const found = originals(file).filter((o) => existsSync(o));
    // ../shared is beside the checkout, not part of it: what is missing there is not checked.
    for (const o of found) expect(bytes.equals(readFileSync(o)), `${file} differs from ${o}`).toBe(true);
    expect(readFileSync(recordingPath('README.md'), 'utf8')).toContain(
      basename(file).replace(/\.(pcap|sip\.txt)$/, ''),
    );
  });

  it('runs with a byte-identical copy of examples/demo/ghostguard.yaml', () => {
    expect(readFileSync(DEMO_CONFIG, 'utf8')).toBe(readFileSync(join(REPO, 'examples/demo/ghostguard.yaml'), 'utf8'));
  });
});
