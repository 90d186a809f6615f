import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGuard } from '../guard.js';
import { memoryLogger } from '../testing.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'test-support', 'burst-child.ts');
const KILLS = 50;
const AUTOMATIC_LOSS_MS = 1000;

interface Run {
  admin: string[];
  automatic: Array<{ ip: string; at: number }>;
  killedAt: number;
}

/** Starts the child, kills it with SIGKILL `delay` ms after it said ready (or before, if it is slower). */
function burstAndKill(dir: string, run: number, delay: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@ghostguard/source', '--import', 'tsx', CHILD, dir, String(run)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const out: Run = { admin: [], automatic: [], killedAt: 0 };
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      out.killedAt = Date.now();
      child.kill('SIGKILL');
    };
    // Bounded: killed at the latest 30 s after spawn, ready or not (a loaded machine starts tsx slowly; a kill
    // before `ready` is still a valid crash, but the run must also reach the burst to check anything).
    const hard = setTimeout(kill, 30_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, ip, at] = line.split(' ');
        if (kind === 'ready' && timer === undefined) timer = setTimeout(kill, delay);
        else if (kind === 'A') out.admin.push(ip!);
        else if (kind === 'B') out.automatic.push({ ip: ip!, at: Number(at) });
      }
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(hard);
      clearTimeout(timer);
      if (out.killedAt === 0) out.killedAt = Date.now();
      resolve(out);
    });
  });
}

describe('the embedded store under kill -9', () => {
  it(`always opens after ${KILLS} kills during a ban burst, keeps every acknowledged operator ban and loses at most ${AUTOMATIC_LOSS_MS} ms of automatic bans`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-crash-'));
    const admin: string[] = [];
    let automaticChecked = 0;
    for (let run = 0; run < KILLS; run++) {
      // A few kills land during start-up (open, migration, restore), the rest in the burst.
      const delay = run % 10 === 0 ? 0 : Math.floor(Math.random() * 1800);
      const r = await burstAndKill(dir, run, delay);
      admin.push(...r.admin);
      const { logger, sink } = memoryLogger('info');
      const g = createGuard({ log: { level: 'info' }, dataDir: dir }, { logger });
      try {
        expect(sink.find('bans-load-failed')).toEqual([]);
        const lostAdmin = admin.filter((ip) => g.bans.get(ip) === undefined);
        expect(lostAdmin).toEqual([]);
        const old = r.automatic.filter((b) => b.at < r.killedAt - AUTOMATIC_LOSS_MS);
        automaticChecked += old.length;
        const lostOld = old.filter((b) => g.bans.get(b.ip) === undefined).map((b) => b.ip);
        expect(lostOld).toEqual([]);
      } finally {
        g.close();
      }
    }
    expect(admin.length).toBeGreaterThan(0);
    expect(automaticChecked).toBeGreaterThan(0);
  }, 900_000);
});
