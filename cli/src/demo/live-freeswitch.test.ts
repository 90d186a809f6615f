import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLiveFreeswitchDemo } from './live-freeswitch.js';

describe('live FreeSWITCH demo', () => {
  it('no recorded scanner call goes on in the dialplan, every legitimate one does', async () => {
    const r = await runLiveFreeswitchDemo(join(import.meta.dirname, '../../../examples/demo/ghostguard.yaml'));
    expect(r.scannerCalls).toBe(104);
    expect(r.scannerReachedRoom).toBe(0);
    expect(r.legitCalls).toBe(39);
    expect(r.legitReachedRoom).toBe(39);
    expect(r.lines.join('\n')).toMatch(/not a real FreeSWITCH/);
  });
});
