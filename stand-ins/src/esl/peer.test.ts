import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallInfo } from './channel-data.js';
import { startEslInbound } from './inbound-server.js';
import { disconnectNotice, lingerNotice } from './messages.js';
import { placeCall } from './outbound-call.js';
import { recordedInvites } from './recorded-calls.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const UUID = '0cc5140f-ee24-420e-936d-682bedf53ba9';
const call: CallInfo = {
  protocol: 'sip',
  uuid: UUID,
  source: { ip: '127.0.0.1', port: 5091 },
  requestUri: { user: '8888', host: '127.0.0.1', port: 5090 },
  from: { user: '5557777', host: '127.0.0.1', tag: 'ZHp55mN9ZByyj' },
  to: { user: '8888', host: '127.0.0.1', port: 5090 },
  callId: 'b7e12467-608e-1240-07be-166fc2cc61ec',
  userAgent: 'FreeSWITCH-realfs',
};

/** A scripted ESL app: sends `connect`, then each step once the bytes received so far satisfy its wait. */
async function scriptedApp(steps: Array<{ after: (received: string) => boolean; send: string }>) {
  const log = { received: '' };
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let next = 0;
    socket.on('data', (d) => {
      log.received += d.toString();
      while (next < steps.length && steps[next]!.after(log.received)) socket.write(steps[next++]!.send);
    });
    socket.write('connect\n\n');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, log };
}

describe('outbound peer (FreeSWITCH socket application)', () => {
  it('runs sendmsg executes in order, reports them as events, lingers until exit', async () => {
    const app = await scriptedApp([
      { after: (r) => r.includes('Control: full\n\n'), send: 'myevents\n\nlinger\n\n' },
      {
        after: (r) => r.includes('+OK will linger'),
        send: `sendmsg ${UUID}\nexecute-app-name: hangup\nexecute-app-arg: CALL_REJECTED\ncall-command: execute\nEvent-UUID: 7362c501\n\n`,
      },
      { after: (r) => r.includes('Linger-Time: -1'), send: 'exit\n\n' },
    ]);
    const r = await placeCall({ port: app.port, call });
    expect(r).toMatchObject({
      outcome: 'hungup',
      hangupCause: 'CALL_REJECTED',
      sipStatus: 603,
      applications: ['hangup CALL_REJECTED'],
    });
    expect(r.commands).toEqual(['connect', 'myevents', 'linger', `sendmsg ${UUID}`, 'exit']);
    expect(app.log.received).toContain('Event-Name: CHANNEL_EXECUTE_COMPLETE\n');
    expect(app.log.received).toContain('Application-UUID: 7362c501\n');
    expect(app.log.received).toContain(lingerNotice(UUID, 'sofia/external/5557777@127.0.0.1'));
    expect(app.log.received.endsWith(`Reply-Text: +OK bye\n\n${disconnectNotice(UUID)}`)).toBe(true);
  });

  it('hangs the call up when the app closes the socket without resume', async () => {
    const app = await scriptedApp([{ after: (r) => r.includes('Control: full\n\n'), send: 'exit\n\n' }]);
    const r = await placeCall({ port: app.port, call });
    expect(r).toMatchObject({ outcome: 'hungup', reached: false });
  });

  it('continues the dialplan after resume; ghostguard-checked lets it on only with ghostguard_verdict=allow', async () => {
    const allow = await scriptedApp([
      {
        after: (r) => r.includes('Control: full\n\n'),
        send: `api uuid_setvar ${UUID} ghostguard_verdict allow\n\nresume\n\nexit\n\n`,
      },
    ]);
    expect(await placeCall({ port: allow.port, call, dialplan: { failPolicy: 'closed' } })).toMatchObject({
      outcome: 'continued',
      variables: { ghostguard_verdict: 'allow' },
    });
    expect(allow.log.received).toContain('Content-Type: api/response\nContent-Length: 4\n\n+OK\n');
    const bare = await scriptedApp([{ after: (r) => r.includes('Control: full\n\n'), send: 'resume\n\nexit\n\n' }]);
    expect(await placeCall({ port: bare.port, call, dialplan: { failPolicy: 'closed' } })).toMatchObject({
      outcome: 'hungup',
      sipStatus: 503,
    });
  });

  it('answers unknown commands and foreign uuids with -ERR', async () => {
    const app = await scriptedApp([
      {
        after: (r) => r.includes('Control: full\n\n'),
        send: 'bogus\n\nsendmsg 00000000-0000\ncall-command: execute\n\n',
      },
      { after: (r) => r.includes('-ERR invalid session id'), send: 'exit\n\n' },
    ]);
    await placeCall({ port: app.port, call });
    expect(app.log.received).toContain('Reply-Text: -ERR command not found\n\n');
  });
});

describe('inbound peer (port 8021)', () => {
  it('asks for auth, refuses a wrong password with the goodbye notice, accepts the right one', async () => {
    const fs = await startEslInbound({ password: 'RealFsTest-8021' });
    try {
      const talk = async (password: string) => {
        const { connect } = await import('node:net');
        const s = connect({ port: fs.port, host: '127.0.0.1' });
        sockets.push(s);
        let got = '';
        s.on('data', (d) => {
          got += d.toString();
          if (got === 'Content-Type: auth/request\n\n') s.write(`auth ${password}\n\n`);
        });
        s.on('error', () => {});
        await new Promise<void>((r) => {
          s.on('close', () => r());
          setTimeout(() => s.end(), 300);
        });
        return got;
      };
      expect(await talk('WrongPassword')).toContain(
        'Reply-Text: -ERR invalid\n\nContent-Type: text/disconnect-notice\nContent-Length: 67\n\n',
      );
      expect(await talk('RealFsTest-8021')).toBe(
        'Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: +OK accepted\n\n',
      );
      expect(fs.authAttempts.map((a) => a.accepted)).toEqual([false, true]);
    } finally {
      await fs.close();
    }
  });
});

describe('recorded traffic → calls', () => {
  it('keeps the out-of-dialog INVITEs of a recording, with their source and scanner markers', () => {
    const text = readFileSync(
      new URL('../../../test/fixtures/recorded/kamailio-svwar-invite.sip.txt', import.meta.url),
      'utf8',
    );
    const invites = recordedInvites(text);
    expect(invites).toHaveLength(101);
    expect(invites[0]!.call).toMatchObject({
      source: { ip: '127.0.0.2', port: 5061, transport: 'udp' },
      requestUri: { user: '3055128542', host: '127.0.0.1' },
      userAgent: 'friendly-scanner',
      from: { tag: '333035353132383534320132373136353134343739' },
    });
  });
});
