import { describe, expect, it } from 'vitest';
import { type CommandContext, expandTransfer, planCommands, serializeCommands } from './enforce.js';

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

  it('allow with a transfer target marks the call as moved by ghostguard and uses uuid_transfer instead of resume', () => {
    const lines = planCommands('allow', { ...ctx, transfer: 'room-1 XML rooms' }).map((c) => c.line);
    expect(lines).toEqual([
      `api sched_del ${UUID}`,
      `api uuid_setvar ${UUID} ghostguard_verdict allow`,
      `api uuid_setvar ${UUID} ghostguard_transferred true`,
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

  it('drop: hides the Q.850 Reason header and, when asked, holds before the final answer', () => {
    const lines = planCommands('drop', { ...ctx, drop: { hideReason: true, delayMs: 4_000 } });
    expect(lines.map((c) => c.line)).toEqual([
      `api sched_del ${UUID}`,
      `api uuid_setvar ${UUID} ghostguard_verdict drop`,
      `api uuid_setvar ${UUID} disable_q850_reason true`,
      `sendmsg ${UUID}`,
      `sendmsg ${UUID}`,
    ]);
    const text = serializeCommands(lines);
    expect(text).toContain('execute-app-name: sleep\nexecute-app-arg: 4000\n');
    expect(text).toContain('execute-app-name: hangup\nexecute-app-arg: NO_USER_RESPONSE\n');
  });

  it('a uuid unsafe on a command line is left out: sendmsg then targets the socket’s own channel', () => {
    const cmds = planCommands('drop', { ...ctx, uuid: 'x\nexit' });
    expect(cmds.map((c) => c.line)).toEqual(['sendmsg']);
  });
});

describe('allow.transfer filled in from CHANNEL_DATA (uuid_transfer does not expand variables)', () => {
  // Headers as in freeswitch-1.10.12-live/transfer/esl-outbound-allow-transfer.txt.
  const recorded: Record<string, string> = {
    'Caller-Destination-Number': 'room1',
    'Caller-Caller-ID-Number': 'meeting-room',
    variable_sip_req_user: 'room1',
    variable_sip_from_display: 'Meeting Room',
  };
  const h =
    (over: Record<string, string | undefined> = {}) =>
    (name: string) =>
      name in over ? over[name] : recorded[name];

  it('replaces a caller-profile field and a channel variable the way switch_channel_get_variable finds them', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    expect(expandTransfer('${destination_number} XML rooms', h())).toBe('room1 XML rooms');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: as above.
    expect(expandTransfer('${sip_req_user} XML rooms', h())).toBe('room1 XML rooms');
    expect(expandTransfer('room-1 XML rooms', h())).toBe('room-1 XML rooms');
  });

  it('refuses a value FreeSWITCH would read as more than one word, and a missing variable', () => {
    const inject = h({ 'Caller-Destination-Number': '1000 XML default' });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    expect(expandTransfer('${destination_number} XML rooms', inject)).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: as above.
    expect(expandTransfer('${sip_from_display} XML rooms', h())).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: as above.
    expect(expandTransfer('${no_such_variable} XML rooms', h())).toBeUndefined();
  });
});
