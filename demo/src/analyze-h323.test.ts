import { describe, expect, it } from 'vitest';
import { runAnalyzeH323Demo } from './analyze-h323.js';
import { DEMO_CONFIG } from './recordings.js';

describe('pnpm demo: analyze on an H.323 capture', () => {
  it('judges the recorded call’s SETUP (allowed) and counts the rest of the call as not judged', async () => {
    const r = await runAnalyzeH323Demo(DEMO_CONFIG);
    expect(r).toMatchObject({ setups: 1, allowed: 1 });
    const text = r.lines.join('\n');
    expect(text).toMatch(/^127\.0\.0\.2\s+1\s+1\s+0\s+0\s+0\s+SETUP/m);
    expect(text).toMatch(/not judged: .*\d+ h323-other/);
  });
});
