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
  /**
   * drop: `disable_q850_reason` on the channel first, so the final response carries no `Reason: Q.850;cause=…`
   * header (mod_sofia.c sofia_on_hangup reads that variable), and a `sleep` before the hangup when > 0 (ms).
   */
  drop?: { hideReason: boolean; delayMs: number };
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

/**
 * `allow.transfer` for one call: every `${name}` replaced from its CHANNEL_DATA, because `uuid_transfer` does not
 * expand channel variables (mod_commands.c transfer_function splits its arguments and hands them on as they are;
 * recorded on FreeSWITCH 1.10.12: `api uuid_transfer <uuid> ${destination_number} XML rooms` →
 * `Transfer … to XML[${destination_number}@rooms]` → No Route, in
 * freeswitch-1.10.12-live/transfer/freeswitch-log-uuid-transfer-literal.txt). A name is looked up as FreeSWITCH's
 * switch_channel_get_variable does: the channel variable (`variable_<name>`), then the caller-profile field
 * (`destination_number` → `Caller-Destination-Number`…). A value is used only when it is one word FreeSWITCH cannot
 * read as more (letters, digits, `+*#._@-`, at most 128 characters; the api splits on blanks, so a destination
 * "1000 XML default" would pick the context): otherwise, or when the variable is missing, undefined, and the
 * call is handed back to the dialplan with `resume` instead.
 */
export function expandTransfer(template: string, header: (name: string) => string | undefined): string | undefined {
  let unsafe = false;
  const out = template.replace(/\$\{([A-Za-z0-9_]{1,64})\}/g, (_, name: string) => {
    const value = header(`variable_${name}`) ?? header(`Caller-${PROFILE_FIELDS[name] ?? '\0'}`);
    if (value === undefined || !SAFE_WORD.test(value)) unsafe = true;
    return value ?? '';
  });
  return unsafe || out.includes('${') ? undefined : out;
}

const SAFE_WORD = /^[A-Za-z0-9+*#._@-]{1,128}$/;

/** switch_caller_get_field_by_name names → the `Caller-*` headers of CHANNEL_DATA (switch_caller.c). */
const PROFILE_FIELDS: Record<string, string> = {
  destination_number: 'Destination-Number',
  caller_id_number: 'Caller-ID-Number',
  caller_id_name: 'Caller-ID-Name',
  network_addr: 'Network-Addr',
  ani: 'ANI',
  context: 'Context',
  dialplan: 'Dialplan',
  uuid: 'Unique-ID',
  username: 'Username',
};

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
      if (ctx.transfer && uuid) {
        // Marks the call as moved by ghostguard: a NO_ROUTE at the target is then not the caller's doing
        // (sofia-events.ts does not report it as an unknown target).
        out.push({ line: `api uuid_setvar ${uuid} ghostguard_transferred true` });
        out.push({ line: `api uuid_transfer ${uuid} ${ctx.transfer}` });
      } else out.push({ line: 'resume' });
      out.push({ line: 'exit' });
      return out;
    case 'reject':
      out.push(execute(uuid, 'respond', `${ctx.reject.code} ${ctx.reject.reason}`));
      out.push(execute(uuid, 'hangup', 'CALL_REJECTED'));
      return out;
    case 'drop':
      if (ctx.drop?.hideReason && uuid) out.push({ line: `api uuid_setvar ${uuid} disable_q850_reason true` });
      if (ctx.drop && ctx.drop.delayMs > 0) out.push(execute(uuid, 'sleep', String(Math.round(ctx.drop.delayMs))));
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
