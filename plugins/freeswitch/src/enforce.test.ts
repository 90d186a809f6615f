import { describe, expect, it } from 'vitest';
import { type CommandContext, planCommands, serializeCommands } from './enforce.js';

const UUID = '12f3b168-2c58-4c0d-847f-1d5ce5dfd6e5';
const ctx: CommandContext = {
  uuid: UUID,
  cancelFallback: true,
  transfer: undefined,
  reject: { code: 403, reason: 'Forbidden' },
  dropCause: 'NO_USER_RESPONSE',
  tarpit: { holdMs: 30_000, hangupCause: 'NO_ANSWER' },
};

describe('verdict → ESL commands', () => {
  it('allow: cancel the deadline, mark the channel, resume the dialplan, exit', () => {
    expect(serializeCommands(planCommands('allow', ctx))).toBe(
      `api sched_del ${UUID}\n\napi uuid_setvar ${UUID} ghostguard_verdict allow\n\nresume\n\nexit\n\n`,
    );
  });

  it('allow with a transfer target uses uuid_transfer instead of resume', () => {
    const lines = planCommands('allow', { ...ctx, transfer: 'room-1 XML rooms' }).map((c) => c.line);
    expect(lines).toEqual([
      `api sched_del ${UUID}`,
      `api uuid_setvar ${UUID} ghostguard_verdict allow`,
      `api uuid_transfer ${UUID} room-1 XML rooms`,
      'exit',
    ]);
  });

  it('reject: sendmsg respond then hangup, in the header layout modesl uses', () => {
    const text = serializeCommands(planCommands('reject', { ...ctx, cancelFallback: false }));
    expect(text).toBe(
      `api uuid_setvar ${UUID} ghostguard_verdict reject\n\n` +
        `sendmsg ${UUID}\ncall-command: execute\nexecute-app-name: respond\nexecute-app-arg: 403 Forbidden\n\n` +
        `sendmsg ${UUID}\ncall-command: execute\nexecute-app-name: hangup\nexecute-app-arg: CALL_REJECTED\n\n`,
    );
  });

  it('tarpit: ring_ready (no argument line), sleep, hangup', () => {
    const text = serializeCommands(planCommands('tarpit', ctx));
    expect(text).toContain('execute-app-name: ring_ready\n\n');
    expect(text).toContain('execute-app-name: sleep\nexecute-app-arg: 30000\n');
    expect(text).toContain('execute-app-name: hangup\nexecute-app-arg: NO_ANSWER\n');
  });

  it('a uuid unsafe on a command line is left out: sendmsg then targets the socket’s own channel', () => {
    const cmds = planCommands('drop', { ...ctx, uuid: 'x\nexit' });
    expect(cmds.map((c) => c.line)).toEqual(['sendmsg']);
  });
});
