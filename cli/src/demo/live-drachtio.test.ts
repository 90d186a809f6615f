import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLiveDrachtioDemo } from './live-drachtio.js';
import { REPO_ROOT } from './repo-root.js';

describe('live drachtio demo', () => {
  it('sends the recorded traffic through the plugin: no scanner request reaches the app, every legitimate one does', async () => {
    const r = await runLiveDrachtioDemo(join(REPO_ROOT, 'examples/demo/ghostguard.yaml'));
    expect(r.title).toMatch(/drachtio-server stand-in/);
    expect(r.scannerRequests).toBeGreaterThanOrEqual(100);
    expect(r.scannerReachedApp).toBe(0);
    expect(r.legitRequests).toBeGreaterThanOrEqual(50);
    expect(r.legitReachedApp).toBe(r.legitRequests);
    expect(r.lines.join('\n')).toMatch(/svwar REGISTER/);
  }, 60_000);
});
