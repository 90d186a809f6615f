import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { bufferOutput } from './output.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SVWAR = join(ROOT, 'test/fixtures/recorded/kamailio-svwar-register.pcap');
const ROOM_CALLS = join(ROOT, 'test/fixtures/legit/room-calls.sip.txt');

function tmp(name: string, content: string | Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), 'gg-cli-')), name);
  writeFileSync(p, content);
  return p;
}

async function run(...argv: string[]) {
  const out = bufferOutput();
  const code = await main(argv, out);
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

describe('ghostguard analyze', () => {
  it('prints a per-source table and a summary for a capture', async () => {
    const r = await run('analyze', SVWAR);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^source\s+attempts\s+allow\s+reject\s+drop\s+tarpit/m);
    expect(r.stdout).toMatch(/127\.0\.0\.2\s+101\s+0\s+0\s+101\s+0/);
    expect(r.stdout).toContain('attempts judged: 101');
    expect(r.stdout).toContain('undecodable: 0');
    expect(r.stdout).toContain('not judged: 101 response');
  });

  it('judges a request that does not decode as the live guard does, and counts it apart (issue 13)', async () => {
    const head = (line: string, branch: string) =>
      `${line}\r\nVia: SIP/2.0/UDP 203.0.113.50:5060;branch=z9hG4bK${branch}\r\nFrom: <sip:a@203.0.113.50>;tag=1\r\nTo: <sip:room-a@198.51.100.1>\r\nCall-ID: ${branch}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`;
    const block = (t: string, from: string, message: string) =>
      `===== request t=${t} ${from} -> 198.51.100.1:5060 =====\n${message}\n\n`;
    const file = tmp(
      'undecodable.sip.txt',
      block('0.000000', '203.0.113.50:5060', head('INVITE 100 SIP/2.0', 'a')) +
        block('0.100000', '203.0.113.50:5060', head('INVITE sip:room-a@198.51.100.1 SIP/2.0', 'b')) +
        block('0.200000', '203.0.113.51:5060', 'not SIP at all\r\n\r\n'),
    );
    const json = await run('analyze', '--json', file);
    expect(json.code).toBe(0);
    const lines = json.stdout.split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      source: '203.0.113.50:5060',
      method: 'INVITE',
      action: 'reject',
      undecodable: 'invalid Request-URI',
      reasons: [{ rule: 'input.undecodable', weight: 60, detail: 'invalid Request-URI' }],
    });
    expect(lines[1]).not.toHaveProperty('undecodable');

    const text = await run('analyze', file);
    expect(text.stdout).toContain('attempts judged: 2');
    expect(text.stdout).toMatch(
      /^undecodable: 1 \(judged as the live guard judges them: allow 0, reject 1, drop 0, tarpit 0\)$/m,
    );
    expect(text.stdout).toContain('not judged: 1 malformed-sip');
  });

  it('--json prints one line per attempt with the documented fields', async () => {
    const r = await run('analyze', '--json', SVWAR);
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(101);
    expect(Object.keys(lines[0]).sort()).toEqual(
      ['action', 'file', 'method', 'protocol', 'reasons', 'score', 'source', 'target', 'time'].sort(),
    );
    expect(lines[0]).toMatchObject({ protocol: 'sip', method: 'REGISTER', action: 'drop', source: '127.0.0.2:5061' });
    expect(lines[0].reasons.map((x: { rule: string }) => x.rule)).toContain('fp.ua.friendly-scanner');
  });

  it('reads SIP text and JSON lines of CallAttempts', async () => {
    const text = await run('analyze', '--json', ROOM_CALLS);
    const attempts = text.stdout.split('\n').map((l) => JSON.parse(l));
    expect(attempts.length).toBe(12);
    const jsonl = tmp(
      'a.jsonl',
      `${JSON.stringify({
        protocol: 'sip',
        method: 'INVITE',
        source: { ip: '203.0.113.5', port: 5060, transport: 'udp' },
        target: { user: '0046812345678', host: '203.0.113.10' },
        caller: { user: '100' },
        userAgent: 'sipcli/v1.8',
        time: 1_700_000_000_000,
        sip: { requestUri: 'sip:0046812345678@203.0.113.10', hasBody: false },
      })}\n`,
    );
    const r = await run('analyze', '--json', jsonl);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: 'drop', target: '0046812345678@203.0.113.10' });
  });

  it('reads a bare SIP message, taking the source from the topmost Via', async () => {
    const msg =
      'OPTIONS sip:100@198.51.100.1 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.99:5060;branch=z9hG4bK-1234\r\nFrom: "sipvicious"<sip:100@1.1.1.1>;tag=abc\r\nTo: <sip:100@198.51.100.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const r = await run('analyze', '--json', tmp('probe.sip', msg));
    expect(JSON.parse(r.stdout)).toMatchObject({ source: '203.0.113.99:5060', action: 'drop' });
  });

  it('uses --config and reports a bad config with the key path, exit 2', async () => {
    const cfg = tmp('g.yaml', 'mode: monitor\n');
    const r = await run('analyze', '--json', '--config', cfg, SVWAR);
    expect(JSON.parse(r.stdout.split('\n')[0]!)).toMatchObject({ action: 'drop', enforced: 'allow' });
    const bad = await run('analyze', '--config', tmp('bad.yaml', 'policy:\n  failMode: sideways\n'), SVWAR);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('policy.failMode');
  });

  it('names the file and offset of unreadable input and exits 2', async () => {
    const pcap = readFileSync(SVWAR);
    const broken = Buffer.from(pcap);
    broken.writeUInt32LE(0x7fff_fff0, 28 + 4); // an absurd block length in the second block
    const truncated = tmp('broken.pcap', broken);
    const r = await run('analyze', truncated);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(truncated);
    expect(r.stderr).toMatch(/offset \d+/);

    const badJson = tmp('bad.jsonl', '{"protocol":"sip"}\n');
    const j = await run('analyze', badJson);
    expect(j.code).toBe(2);
    expect(j.stderr).toContain(`${badJson} at offset 0: line 1: not a CallAttempt: method`);

    const missing = await run('analyze', '/nonexistent/file.pcap');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/file.pcap');
  });

  it('refuses bad usage with exit 2', async () => {
    expect((await run('analyze')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('analyze', '--bogus', SVWAR)).code).toBe(2);
    expect((await run('help')).code).toBe(0);
  });
});

describe('ghostguard demo', () => {
  it('is not a command of the CLI any more: one line points to the @ghostguard/demo package, exit 2', async () => {
    const r = await run('demo');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/@ghostguard\/demo.*pnpm demo/);
    expect((await run('help')).stdout).not.toMatch(/ghostguard demo/);
  });
});
