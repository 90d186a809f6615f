import { Writable } from 'node:stream';
import type { H323Attempt, SipAttempt } from './attempt.js';
import type { GhostguardConfig } from './config.js';
import { createLogger, type Logger } from './log.js';

/**
 * Builders for tests (here and in adapters): a plausible legitimate attempt, overridden field by field.
 * Exported as `@ghostguard/core/testing`, not from the main entry point.
 */
export function sipAttempt(
  over: Partial<Omit<SipAttempt, 'sip'>> & { sip?: Partial<SipAttempt['sip']> } = {},
): SipAttempt {
  const { sip, ...rest } = over;
  return {
    protocol: 'sip',
    method: 'INVITE',
    source: { ip: '198.51.100.20', port: 5060, transport: 'udp' },
    target: { user: 'room-boardroom', host: 'video.example.com' },
    caller: { user: 'alice', host: 'partner.example.net', display: 'Alice' },
    userAgent: 'Cisco/CE (RoomKit) ce11.5',
    callId: 'a84b4c76e66710@partner.example.net',
    time: 1_700_000_000_000,
    ...rest,
    sip: {
      requestUri: 'sip:room-boardroom@video.example.com',
      viaBranch: 'z9hG4bK776asdhds',
      fromTag: '1928301774',
      fromUri: 'sip:alice@partner.example.net',
      toUri: 'sip:room-boardroom@video.example.com',
      maxForwards: 70,
      cseq: { seq: 1, method: 'INVITE' },
      contentType: 'application/sdp',
      hasBody: true,
      sdpSessionName: 'Cisco RoomKit',
      ...sip,
    },
  };
}

export function h323Attempt(
  over: Partial<Omit<H323Attempt, 'h323'>> & { h323?: Partial<H323Attempt['h323']> } = {},
): H323Attempt {
  const { h323, ...rest } = over;
  return {
    protocol: 'h323',
    method: 'SETUP',
    source: { ip: '198.51.100.30', port: 1720, transport: 'tcp' },
    target: { user: 'room-boardroom' },
    caller: { user: 'partner-room', display: 'Partner Room' },
    userAgent: 'Polycom HDX 3.1',
    time: 1_700_000_000_000,
    ...rest,
    h323: {
      callReference: 1234,
      sourceAliases: [{ type: 'h323-ID', value: 'partner-room' }],
      destinationAliases: [{ type: 'h323-ID', value: 'room-boardroom' }],
      fastStartCount: 4,
      ...h323,
    },
  };
}

/**
 * Polls `predicate` every `pollMs` until it holds; rejects after `timeoutMs` naming `what` (or with the error
 * the predicate threw). The one bounded wait of every package's network tests: no sleep stands in for a check.
 */
export function waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'condition', pollMs = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const tick = (): void => {
      let ok = false;
      try {
        ok = predicate();
      } catch (err) {
        reject(err);
        return;
      }
      if (ok) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(tick, pollMs);
    };
    tick();
  });
}

/** JSON log lines a memoryLogger() has received. */
export interface LogSink {
  lines(): Array<Record<string, unknown>>;
  find(event: string): Array<Record<string, unknown>>;
}

/** A ghostguard logger at `level` that keeps its JSON lines in memory, for tests that read what was logged. */
export function memoryLogger(level: GhostguardConfig['log']['level'] = 'debug'): { logger: Logger; sink: LogSink } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ log: { level } }, stream);
  const sink: LogSink = {
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    find: (event) => sink.lines().filter((l) => l.event === event),
  };
  return { logger, sink };
}
