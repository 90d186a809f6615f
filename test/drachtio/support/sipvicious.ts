import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface ToolRun {
  output: string;
  code: number | null;
  ms: number;
}

/** Runs a Debian sipvicious tool (svmap, svwar, svcrack) with a hard time limit; never rejects. */
export function runTool(
  tool: 'svmap' | 'svwar' | 'svcrack',
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ToolRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(`/usr/bin/${tool}`, [...args], { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ output: `${stdout}\n${stderr}`, code, ms: Date.now() - started });
    });
  });
}

/** A UDP port free right now on 127.0.0.1 (the tools bind 5060 by default, which parallel runs would share). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
