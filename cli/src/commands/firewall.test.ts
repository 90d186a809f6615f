import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetnsPair } from '@ghostguard/nftables/testing';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { bufferOutput } from '../output.js';

describe('ghostguard firewall', () => {
  it('flush removes the bouncer’s own table and no other, and says so when there is none', async () => {
    let pair: Awaited<ReturnType<typeof createNetnsPair>>;
    try {
      pair = await createNetnsPair();
    } catch (err) {
      throw new Error(
        `this machine cannot create network namespaces (needs root and iproute2): ${(err as Error).message}`,
      );
    }
    try {
      await pair.exec(pair.server, ['nft', '-f', '-'], 'add table inet ggcli\nadd table inet someoneelse\n');
      const file = join(mkdtempSync(join(tmpdir(), 'gg-firewall-')), 'gg.yaml');
      writeFileSync(file, JSON.stringify({ firewall: { command: pair.nft, table: 'ggcli' } }));
      const out = bufferOutput();
      expect(await main(['firewall', 'flush', '--config', file], out)).toBe(0);
      expect(out.stdout.join('\n')).toContain('removed table inet ggcli');
      const tables = await pair.exec(pair.server, ['nft', 'list', 'tables']);
      expect(tables).not.toContain('ggcli');
      expect(tables).toContain('table inet someoneelse');
      const again = bufferOutput();
      expect(await main(['firewall', 'flush', '--config', file], again)).toBe(0);
      expect(again.stdout.join('\n')).toContain('nothing to flush');
    } finally {
      await pair.close();
    }
  });

  it('exits 1 naming the code when nft cannot run, 2 for a bad key or no subcommand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-firewall-'));
    const missing = join(dir, 'missing.yaml');
    writeFileSync(missing, JSON.stringify({ firewall: { command: ['/nonexistent/nft'] } }));
    const out = bufferOutput();
    expect(await main(['firewall', 'flush', '--config', missing], out)).toBe(1);
    expect(out.stderr.join('\n')).toContain('GG_FIREWALL_NFT_MISSING');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, JSON.stringify({ firewall: { tabel: 'x' } }));
    const badOut = bufferOutput();
    expect(await main(['firewall', 'flush', '--config', bad], badOut)).toBe(2);
    expect(badOut.stderr.join('\n')).toMatch(/bad\.yaml[\s\S]*firewall\.tabel/);
    expect(await main(['firewall'], bufferOutput())).toBe(2);
    const help = bufferOutput();
    expect(await main(['firewall', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toContain('ghostguard firewall flush');
  });
});
