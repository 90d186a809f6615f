import { describe, expect, it } from 'vitest';
import { runLiveAsteriskDemo } from './live-asterisk.js';
import { DEMO_CONFIG } from './recordings.js';

describe('live Asterisk demo', () => {
  it('no scanner call continues past the check, every legitimate one does', async () => {
    const r = await runLiveAsteriskDemo(DEMO_CONFIG);
    expect(r.scannerCalls).toBe(105);
    expect(r.scannerReachedRoom).toBe(0);
    expect(r.legitCalls).toBe(38);
    expect(r.legitReachedRoom).toBe(38);
    expect(r.lines.join('\n')).toMatch(/bans from them: 1/);
  });
});
