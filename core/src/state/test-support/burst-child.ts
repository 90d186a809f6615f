/**
 * A child process for the crash test (ban-store.crash.test.ts): opens a guard on the data directory in argv[2]
 * and bans without end, alternating an operator ban (guard.bans.add, written before it returns) and a burst of
 * automatic bans (report → ban, written in the background). Each line on stdout says one ban is done:
 * `A <ip>` for an operator ban, `B <ip> <ms>` for an automatic one with the time it was made. The parent
 * kills it with SIGKILL at a random moment. stdout to a pipe is synchronous on Linux: a line read is a ban done.
 */
import { createGuard } from '../../guard.js';

const dir = process.argv[2]!;
const run = Number(process.argv[3] ?? 0);
const guard = createGuard({ log: { level: 'silent' }, dataDir: dir, store: { flushEvery: 200, batchSize: 500 } });
let n = 0;

function address(i: number): string {
  // 10.<run>.x.y for run's automatic bans, 172.16+.x.y for its operator bans: never the same twice across runs.
  return `10.${run & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function step(): void {
  const i = n++;
  // Done banning: stay alive (idle, as a daemon would) until the parent kills it, so that the bans made more than
  // a second before the kill are checked; a child that exited by itself would leave none that old.
  if (i > 60_000) {
    setInterval(() => {}, 1_000);
    return;
  }
  if (i % 50 === 0) {
    const ip = `172.${16 + (run % 16)}.${(i >> 8) & 255}.${i & 255}`;
    guard.bans.add(ip, { reason: 'operator', ttl: 86_400_000 });
    process.stdout.write(`A ${ip}\n`);
  } else {
    const ip = address(i);
    const t = Date.now();
    if (guard.report({ kind: 'hijack-attempt', source: { ip }, time: t }) !== undefined)
      process.stdout.write(`B ${ip} ${t}\n`);
  }
  // Every few bans give the event loop a turn (the background writer runs then), as a daemon's I/O would.
  if (i % 20 === 0) setImmediate(step);
  else step();
}

process.stdout.write('ready\n');
step();
