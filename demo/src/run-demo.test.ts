import { bufferOutput } from '@ghostguard/cli';
import { describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

describe('pnpm demo', () => {
  it('shows every scenario: no scanner reached a room, ghost calls at most once in ten, no legitimate call blocked', async () => {
    const out = bufferOutput();
    const code = await runDemo({}, out);
    const stdout = out.stdout.join('\n');
    expect(code, out.stderr.join('\n')).toBe(0);
    expect(stdout).toContain('svwar REGISTER 100-999 -> Kamailio');
    expect(stdout).toContain('bridge dials 30 rooms in 2 s');
    expect(stdout).toMatch(/would have reached a room system: 0 \(goal: 0\)/);
    expect(stdout).toMatch(/legitimate attempts: \d+; blocked: 0 \(goal: 0\)/);
    expect(stdout).toMatch(/ghost calls that look like real calls: 60 from 6 callers; reached a room: [01] \(goal/);
    expect(stdout).toMatch(/tarpitted [1-9]/);
  }, 90_000);
});
