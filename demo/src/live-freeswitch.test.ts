import { describe, expect, it } from 'vitest';
import { runLiveFreeswitchDemo } from './live-freeswitch.js';
import { DEMO_CONFIG } from './recordings.js';

describe('live FreeSWITCH demo', () => {
  it('no recorded scanner call goes on in the dialplan, every legitimate one does', async () => {
    const r = await runLiveFreeswitchDemo(DEMO_CONFIG);
    expect(r.scannerCalls).toBe(104);
    expect(r.scannerReachedRoom).toBe(0);
    expect(r.legitCalls).toBe(39);
    expect(r.legitReachedRoom).toBe(39);
    expect(r.lines.join('\n')).toMatch(/not a real FreeSWITCH/);
  });
});
