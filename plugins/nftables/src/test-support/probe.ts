import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const HERE = new URL('.', import.meta.url).pathname;

interface Line {
  [k: string]: unknown;
}

/** A node child in a namespace speaking JSON lines (listener.mjs or sender.mjs). */
class Child {
  readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];
  readonly proc: ChildProcessWithoutNullStreams;
  stderr = '';

  constructor(ns: string, script: string, args: string[] = []) {
    this.proc = spawn('ip', ['netns', 'exec', ns, process.execPath, `${HERE}${script}`, ...args]);
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      this.lines.push(JSON.parse(l) as Line);
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves with the first line matching `pred` (already seen or coming); rejects after `ms` (a hung child). */
  async waitFor(pred: (l: Line) => boolean, ms = 10_000): Promise<Line> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(pred);
      if (found !== undefined) return found;
      if (this.proc.exitCode !== null) throw new Error(`probe ${this.proc.spawnargs.join(' ')} exited: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`probe: no matching line within ${ms} ms (stderr: ${this.stderr})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** A listener in the server namespace: every UDP datagram and TCP connection that reached a socket. */
export class Listener extends Child {
  constructor(
    ns: string,
    readonly port: number,
  ) {
    super(ns, 'listener.mjs', [String(port)]);
  }

  ready(): Promise<Line> {
    return this.waitFor((l) => l.ready === true);
  }

  /** What reached a socket from `from` (over `proto`). */
  arrivals(from: string, proto?: 'udp' | 'tcp'): Line[] {
    return this.lines.filter((l) => l.from === from && (proto === undefined || l.proto === proto));
  }
}

/** A sender in the edge namespace. */
export class Sender extends Child {
  private next = 0;

  constructor(ns: string) {
    super(ns, 'sender.mjs');
  }

  private async ask(c: Record<string, unknown>): Promise<Line> {
    const id = ++this.next;
    this.proc.stdin.write(`${JSON.stringify({ id, ...c })}\n`);
    return this.waitFor((l) => l.id === id);
  }

  /** Sends one UDP INVITE from `from` to `to:port`. */
  async udp(from: string, to: string, port: number): Promise<void> {
    const r = await this.ask({ proto: 'udp', from, to, port });
    if (r.sent !== true) throw new Error(`send from ${from} failed: ${String(r.error)}`);
  }

  /** Opens a TCP connection from `from` (one SYN); true when it connected. */
  async tcp(from: string, to: string, port: number): Promise<boolean> {
    return (await this.ask({ proto: 'tcp', from, to, port, wait: 700 })).connected === true;
  }
}
