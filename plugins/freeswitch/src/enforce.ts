/**
 * Verdict → the ESL commands that carry it out on the call's outbound socket. Pure: the session writes
 * them in one go (modesl writes one TCP segment per header line, which Nagle's algorithm holds back for a
 * delayed ACK: 43 ms per sendmsg in the recording).
 *
 * - allow: `ghostguard_verdict=allow` on the channel, then `resume` (the dialplan goes on with the action
 *   after `socket`) or `uuid_transfer` to `allow.transfer`; then `exit`.
 * - reject: `respond <code> <reason>` (the final answer), then `hangup CALL_REJECTED`.
 * - drop: `hangup <drop.hangupCause>`: no ringing, no media, one final response. FreeSWITCH has already sent
 *   100 Trying before the dialplan ran and always answers an INVITE in the end; NO_USER_RESPONSE (408) is
 *   the answer that tells a scanner least.
 * - tarpit: `ring_ready` (180), `sleep <hold>`, `hangup <tarpit.hangupCause>`.
 * FreeSWITCH closes the socket itself once the channel hangs up.
 */
export interface PlannedCommand {
  /** First line, e.g. `sendmsg <uuid>`, `api uuid_setvar …`, `exit`. */
  line: string;
  headers?: ReadonlyArray<readonly [string, string]>;
}

export type EnforcedAction = 'allow' | 'transfer' | 'reject' | 'drop' | 'tarpit';

export interface CommandContext {
  uuid: string | undefined;
  cancelFallback: boolean;
  transfer: string | undefined;
  reject: { code: number; reason: string };
  dropCause: string;
  tarpit: { holdMs: number; hangupCause: string };
}

function execute(uuid: string | undefined, app: string, arg: string): PlannedCommand {
  return {
    line: uuid ? `sendmsg ${uuid}` : 'sendmsg',
    headers: [
      ['call-command', 'execute'],
      ['execute-app-name', app],
      ['execute-app-arg', arg],
    ],
  };
}

/** A uuid from CHANNEL_DATA, safe to put on a command line (no spaces or line breaks). */
export function commandSafeUuid(uuid: string | undefined): string | undefined {
  return uuid !== undefined && /^[A-Za-z0-9-]{1,64}$/.test(uuid) ? uuid : undefined;
}

export function planCommands(action: 'allow' | 'reject' | 'drop' | 'tarpit', ctx: CommandContext): PlannedCommand[] {
  const uuid = commandSafeUuid(ctx.uuid);
  const out: PlannedCommand[] = [];
  if (uuid) {
    // The dialplan's decision deadline (sched_transfer, group = channel uuid) must not fire after a verdict.
    if (ctx.cancelFallback) out.push({ line: `api sched_del ${uuid}` });
    out.push({ line: `api uuid_setvar ${uuid} ghostguard_verdict ${action}` });
  }
  switch (action) {
    case 'allow':
      if (ctx.transfer && uuid) out.push({ line: `api uuid_transfer ${uuid} ${ctx.transfer}` });
      else out.push({ line: 'resume' });
      out.push({ line: 'exit' });
      return out;
    case 'reject':
      out.push(execute(uuid, 'respond', `${ctx.reject.code} ${ctx.reject.reason}`));
      out.push(execute(uuid, 'hangup', 'CALL_REJECTED'));
      return out;
    case 'drop':
      out.push(execute(uuid, 'hangup', ctx.dropCause));
      return out;
    case 'tarpit':
      out.push(execute(uuid, 'ring_ready', ''));
      out.push(execute(uuid, 'sleep', String(Math.round(ctx.tarpit.holdMs))));
      out.push(execute(uuid, 'hangup', ctx.tarpit.hangupCause));
      return out;
  }
}

/** The wire form: each command's lines, then a blank line. */
export function serializeCommands(commands: readonly PlannedCommand[]): string {
  let out = '';
  for (const c of commands) {
    out += `${c.line}\n`;
    for (const [k, v] of c.headers ?? []) out += v === '' && k === 'execute-app-arg' ? '' : `${k}: ${v}\n`;
    out += '\n';
  }
  return out;
}

export function enforcedLabel(
  action: 'allow' | 'reject' | 'drop' | 'tarpit',
  transfer: string | undefined,
): EnforcedAction {
  return action === 'allow' && transfer ? 'transfer' : action;
}
