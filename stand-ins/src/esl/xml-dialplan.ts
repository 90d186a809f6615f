/**
 * FreeSWITCH's XML dialplan, as far as the ghostguard examples and the vanilla `public` context use it, so that a
 * test can load the files an operator pastes (and the vanilla ones around them) and run a call through them the
 * way FreeSWITCH 1.10.12 would. Where each behaviour comes from:
 *
 * - Loading: `<X-PRE-PROCESS cmd="include" data="public/*.xml"/>` is replaced by the matching files' `<include>`
 *   bodies in name order (switch_xml.c preprocess, glob order), `$${name}` by the global variables (vars.xml);
 *   the first `<context name=…>` of that name is the one used (mod_dialplan_xml.c, switch_xml_find_child).
 * - Hunting (mod_dialplan_xml.c 1.10.12, dialplan_hunt / parse_exten): extensions in order; a condition with a
 *   field passes when its expression matches the field (a caller-profile field such as `destination_number`, or
 *   the channel variables expanded *at hunt time* when the field holds `$`), a condition without a field passes;
 *   a passing condition adds its actions (`$1`… substituted from its own captures), a failing one its
 *   anti-actions; `break` on-false (default) / on-true / always / never; an extension whose evaluation ends
 *   passing (or added an anti-action) matches, and hunting stops there unless `continue="true"`. No match:
 *   "No Route, Aborting", NO_ROUTE_DESTINATION (recorded: transfer/freeswitch-log-uuid-transfer-literal.txt).
 * - Executing: `${var}` and `${api(args)}` in action data are expanded when the application runs (recorded:
 *   setup/freeswitch-log-allowed-call-dialplan.txt shows `transfer(${destination_number} XML rooms)` hunted and
 *   `transfer(room1 XML rooms)` executed). `transfer` re-hunts in the new context (same log). Application data
 *   is split the way switch_separate_string splits on blanks (at most 4 words for transfer and sched_transfer,
 *   mod_dptools.c), so a destination that holds spaces moves the context word.
 * - The scheduler: `sched_transfer +N ext dp ctx` / `sched_hangup +N cause` add a task whose group is the
 *   channel uuid (switch_ivr_async.c), `sched_cancel` with no data and the api `sched_del <uuid>` delete the
 *   group (mod_dptools.c, mod_commands.c). A transfer task that fires during a bridge cancels the ringing B-leg
 *   (ORIGINATOR_CANCEL) and re-hunts (recorded: fallback/freeswitch-log-gg-down-ringing-room.txt and the room's
 *   view in fallback/ringing-room.jsonl: INVITE, CANCEL, INVITE again).
 * - `socket`: the outbound Event Socket call of outbound-call.ts; unreachable, the dialplan goes on with the next
 *   action (recorded: freeswitch-1.10.12/standin-no-esl-server.pcap, fallback log above).
 * - `bridge`: `{k=v,…}` channel variables then one dial string; `${sofia_contact(profile/user@domain)}` gives the
 *   registered contact as `sofia/<profile>/<contact uri>` or `error/user_not_registered` (mod_sofia.c
 *   sofia_contact_function); a failed bridge hangs the call up with the B-leg's cause (recorded: USER_BUSY in
 *   the fallback log).
 * Times: `+N` seconds are `N × secondMs` (tests scale them down; the order of events is what they check).
 */
import { performance } from 'node:perf_hooks';
import type { CallInfo } from './channel-data.js';
import { sipStatusForCause } from './hangup-causes.js';
import { type CallResult, placeCall } from './outbound-call.js';

// ---------------------------------------------------------------------------------------------------------------
// A small XML reader: elements, attributes, comments (the dialplan files use nothing else).

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const xmlUnescape = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e] ?? '');

export function parseXml(text: string, file = 'xml'): XmlNode[] {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const stack: XmlNode[] = [root];
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw new Error(`${file}: unterminated comment`);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      i = text.indexOf('?>', lt) + 2;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new Error(`${file}: unterminated tag`);
    const tag = text.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`${file}: </${name}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = /^[\w:.-]+/.exec(body)?.[0];
    if (!name) throw new Error(`${file}: bad tag <${tag}>`);
    const attrs: Record<string, string> = {};
    for (const m of body.slice(name.length).matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
      attrs[m[1]!] = xmlUnescape(m[3] ?? m[4] ?? '');
    }
    const node: XmlNode = { name, attrs, children: [] };
    stack[stack.length - 1]!.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`${file}: <${stack[stack.length - 1]!.name}> is not closed`);
  return root.children;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading a configuration tree.

/** Files of a FreeSWITCH `conf/` tree by path (e.g. `dialplan/public.xml`, `dialplan/public/00_inbound_did.xml`). */
export type ConfFiles = Record<string, string>;

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${body}$`);
}

/** `<X-PRE-PROCESS cmd="include" data="…">` of `path`'s nodes: the matching files' `<include>` bodies, in name order. */
function preprocess(nodes: XmlNode[], path: string, files: ConfFiles, depth: number): XmlNode[] {
  if (depth > 10) throw new Error(`${path}: includes nested too deep`);
  const out: XmlNode[] = [];
  for (const n of nodes) {
    if (n.name === 'X-PRE-PROCESS' && n.attrs.cmd === 'include') {
      const pattern = n.attrs.data ?? '';
      const full = pattern.startsWith('/') ? pattern.slice(1) : `${dirOf(path) ? `${dirOf(path)}/` : ''}${pattern}`;
      const re = globToRegExp(full);
      for (const file of Object.keys(files)
        .filter((f) => re.test(f))
        .sort()) {
        out.push(...includeBody(file, files, depth + 1));
      }
      continue;
    }
    out.push({ ...n, children: preprocess(n.children, path, files, depth) });
  }
  return out;
}

function includeBody(path: string, files: ConfFiles, depth: number): XmlNode[] {
  const nodes = parseXml(files[path] ?? '', path);
  const flat = nodes.flatMap((n) => (n.name === 'include' ? n.children : [n]));
  return preprocess(flat, path, files, depth);
}

function substituteGlobals(node: XmlNode, globals: Record<string, string>): XmlNode {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.attrs)) {
    attrs[k] = v.replace(/\$\$\{([\w.-]+)\}/g, (_, name: string) => globals[name] ?? '');
  }
  return { name: node.name, attrs, children: node.children.map((c) => substituteGlobals(c, globals)) };
}

export interface LoadedDialplan {
  contexts: Map<string, XmlNode>;
}

/**
 * The dialplan section: `freeswitch.xml` includes `dialplan/*.xml` (conf/vanilla/freeswitch.xml); each of those may
 * include more. `globals` stand for vars.xml's `$${…}`.
 */
export function loadDialplan(files: ConfFiles, globals: Record<string, string> = {}): LoadedDialplan {
  const top = Object.keys(files)
    .filter((f) => /^dialplan\/[^/]+\.xml$/.test(f))
    .sort();
  const contexts = new Map<string, XmlNode>();
  for (const file of top) {
    for (const node of includeBody(file, files, 0)) {
      if (node.name !== 'context' || !node.attrs.name) continue;
      if (!contexts.has(node.attrs.name)) contexts.set(node.attrs.name, substituteGlobals(node, globals));
    }
  }
  return { contexts };
}

// ---------------------------------------------------------------------------------------------------------------
// Running a call.

/** switch_separate_string on blanks with `max` words: the last word still ends at the next blank. */
export function separateWords(data: string, max: number): string[] {
  const out: string[] = [];
  let rest = data;
  while (out.length < max) {
    rest = rest.replace(/^ +/, '');
    if (rest === '') break;
    const sp = rest.indexOf(' ');
    out.push(sp < 0 ? rest : rest.slice(0, sp));
    rest = sp < 0 ? '' : rest.slice(sp + 1);
  }
  return out;
}

export interface RoomLeg {
  /** The B-leg's end: answered, or the cause it failed with (USER_BUSY for a 486, NO_ANSWER…). */
  outcome: Promise<{ answered: true } | { answered: false; cause: string }>;
  /** The A-leg went away (transfer, hangup) while the room was still ringing: FreeSWITCH CANCELs it. */
  cancel(): void;
}

export interface DialRequest {
  profile: string;
  uri: string;
  /** `{sip_invite_call_id=…}`: the Call-ID the B-leg INVITE carries; absent: FreeSWITCH makes a new one. */
  callId: string | undefined;
  variables: Record<string, string>;
}

export interface RunCallOptions {
  dialplan: LoadedDialplan;
  call: CallInfo;
  /** The sofia profile's `context` param (what the call is hunted in first). */
  context: string;
  /** Where ghostguard's outbound socket is, for `socket` data that names it (the data's own host:port is used). */
  socketOverride?: { host: string; port: number };
  /** Registered contacts for `${sofia_contact(profile/user@domain)}`: key `profile/user@domain`, value the contact URI. */
  contacts?: Record<string, string>;
  /** A room answering a bridge; default: every room answers at once. */
  dial?: (req: DialRequest) => RoomLeg;
  /** Milliseconds a dialplan second lasts (sched_transfer +3, sleep); default 1000. */
  secondMs?: number;
  /** Hard cap on the whole call; default 10 s. */
  maxCallMs?: number;
}

export interface ExecutedApp {
  context: string;
  app: string;
  data: string;
}

export interface RunCallResult {
  /** Log lines in FreeSWITCH's words: `Processing … in context X`, `Transfer … to XML[ext@ctx]`, `No Route, Aborting`. */
  trace: string[];
  /** Applications as they ran, data expanded. */
  executed: ExecutedApp[];
  /** Every `socket` application's outbound call (undefined entry: none). */
  sockets: CallResult[];
  /** B-legs dialled by bridge, in order. */
  bridges: DialRequest[];
  /** `log` application lines. */
  logs: string[];
  answered: boolean;
  hangupCause: string;
  /** Final SIP status the caller got when the call was refused before answer. */
  sipStatus: number | undefined;
  variables: Record<string, string>;
  destination: string;
  context: string;
}

interface Task {
  id: number;
  group: string;
  timer: NodeJS.Timeout;
  run: () => void;
}

const MAX_TRANSFERS = 20;

/** Places `call` into the dialplan and runs it until the call ends (hangup, answered bridge ending, no route). */
export async function runCall(opts: RunCallOptions): Promise<RunCallResult> {
  const secondMs = opts.secondMs ?? 1000;
  const uuid = opts.call.uuid ?? crypto.randomUUID();
  const call = { ...opts.call, uuid };
  const sip = call.protocol === 'sip' ? call : undefined;
  const h323 = call.protocol === 'h323' ? call : undefined;
  const profile = {
    destination_number: sip?.requestUri.user ?? h323?.destination ?? '',
    caller_id_name: sip ? (sip.from.display ?? sip.from.user) : (h323?.callerName ?? h323?.callerNumber ?? ''),
    caller_id_number: sip?.from.user ?? h323?.callerNumber ?? '',
    network_addr: call.source.ip,
    context: opts.context,
    uuid,
  };
  const variables: Record<string, string> = {
    uuid,
    ...(sip
      ? {
          sip_call_id: sip.callId,
          sip_req_user: sip.requestUri.user,
          sip_from_user: sip.from.user,
          sip_network_ip: sip.source.ip,
          sip_user_agent: sip.userAgent ?? '',
          sofia_profile_name: sip.profile ?? 'external',
        }
      : {}),
  };
  const result: RunCallResult = {
    trace: [],
    executed: [],
    sockets: [],
    bridges: [],
    logs: [],
    answered: false,
    hangupCause: '',
    sipStatus: undefined,
    variables,
    destination: profile.destination_number,
    context: opts.context,
  };
  const tasks = new Map<number, Task>();
  let nextTask = 1;
  let hungUp = false;
  let pendingTransfer: { ext: string; ctx: string } | undefined;
  let interrupt: (() => void) | undefined;
  const started = performance.now();
  const maxMs = opts.maxCallMs ?? 10_000;

  const lookup = (name: string): string => {
    if (name in variables) return variables[name]!;
    if (name in profile) return String(profile[name as keyof typeof profile]);
    return '';
  };
  const apiCall = (fn: string, arg: string): string => {
    if (fn === 'sofia_contact') {
      // mod_sofia.c sofia_contact_function: `profile/user@domain` → the contacts joined by `,`, or this error.
      const contact = opts.contacts?.[arg];
      const prof = arg.split('/')[0] ?? '';
      return contact ? `sofia/${prof}/${contact}` : 'error/user_not_registered';
    }
    if (fn === 'strftime') return 'Sun, 06 Dec 2026 08:30:37 +0000';
    return '';
  };
  /** switch_channel_expand_variables: innermost `${…}` first. */
  const expand = (data: string): string => {
    let out = data;
    for (let n = 0; n < 32; n++) {
      const m = /\$\{([^${}]*)\}/.exec(out);
      if (!m) break;
      const inner = m[1]!;
      const fn = /^([\w]+)\((.*)\)$/.exec(inner);
      const value = fn ? apiCall(fn[1]!, fn[2]!) : lookup(inner);
      out = out.slice(0, m.index) + value + out.slice(m.index + m[0].length);
    }
    return out;
  };
  const fieldValue = (field: string): string => (field.includes('$') ? expand(field) : lookup(field));

  const deleteGroup = (group: string): number => {
    let n = 0;
    for (const [id, t] of tasks) {
      if (t.group !== group) continue;
      clearTimeout(t.timer);
      tasks.delete(id);
      n++;
    }
    return n;
  };
  const schedule = (seconds: number, run: () => void): void => {
    const id = nextTask++;
    const timer = setTimeout(
      () => {
        tasks.delete(id);
        run();
      },
      Math.max(0, seconds * secondMs),
    );
    tasks.set(id, { id, group: uuid, timer, run });
    variables.last_sched_id = String(id);
  };
  const transferNow = (ext: string, ctx: string): void => {
    if (hungUp) return;
    pendingTransfer = { ext, ctx };
    interrupt?.();
  };
  const hangup = (cause: string, status?: number): void => {
    if (hungUp) return;
    hungUp = true;
    result.hangupCause = cause;
    if (!result.answered) result.sipStatus = status ?? sipStatusForCause(cause);
    interrupt?.();
  };

  function hunt(ctxName: string): Array<{ app: string; data: string; anti: boolean }> | undefined {
    result.trace.push(`Processing ${profile.caller_id_name}->${profile.destination_number} in context ${ctxName}`);
    const ctx = opts.dialplan.contexts.get(ctxName) ?? opts.dialplan.contexts.get('global');
    if (!ctx) return undefined;
    const actions: Array<{ app: string; data: string; anti: boolean }> = [];
    for (const ext of ctx.children.filter((c) => c.name === 'extension')) {
      const proceed = parseExtension(ext, actions);
      if (proceed && ext.attrs.continue !== 'true') break;
    }
    // The actions of every extension hunted so far form one list (switch_caller_extension_t): no route only when
    // nothing at all was added.
    return actions.length > 0 ? actions : undefined;
  }

  function parseExtension(ext: XmlNode, actions: Array<{ app: string; data: string; anti: boolean }>): boolean {
    let proceed = false;
    for (const cond of ext.children.filter((c) => c.name === 'condition')) {
      const brk = cond.attrs.break ?? 'on-false';
      const field = cond.attrs.field;
      const expression = cond.attrs.expression;
      let pass = true;
      let captures: string[] = [];
      if (field !== undefined && expression !== undefined) {
        const value = fieldValue(field);
        const m = new RegExp(expand(expression)).exec(value);
        pass = m !== null;
        captures = m ? [...m].map((s) => s ?? '') : [];
      }
      proceed = pass;
      const name = pass ? 'action' : 'anti-action';
      for (const a of cond.children.filter((c) => c.name === name)) {
        const raw = a.attrs.data ?? '';
        const data =
          pass && expression?.includes('(') ? raw.replace(/\$(\d)/g, (_, d: string) => captures[Number(d)] ?? '') : raw;
        actions.push({ app: a.attrs.application ?? '', data, anti: !pass });
        if (!pass) proceed = true;
      }
      if ((pass && brk === 'on-true') || (!pass && brk === 'on-false') || brk === 'always') break;
    }
    return proceed;
  }

  async function socketApp(data: string): Promise<void> {
    const [addr = ''] = separateWords(data, 1);
    const colon = addr.lastIndexOf(':');
    const host = opts.socketOverride?.host ?? addr.slice(0, colon);
    const port = opts.socketOverride?.port ?? Number(addr.slice(colon + 1));
    const abort = new AbortController();
    interrupt = () => abort.abort();
    const r = await placeCall({
      host,
      port,
      call: { ...call, context: profile.context },
      signal: abort.signal,
      scheduler: { deleteGroup },
      maxCallMs: Math.max(1, maxMs - (performance.now() - started)),
    });
    interrupt = undefined;
    result.sockets.push(r);
    Object.assign(variables, r.variables);
    if (pendingTransfer || hungUp) return;
    if (r.outcome === 'hungup' && r.path !== 'unreachable') {
      hangup(r.hangupCause ?? 'NORMAL_CLEARING', r.sipStatus);
      return;
    }
    if (r.outcome === 'transferred' && r.transferTarget !== undefined) {
      // uuid_transfer <uuid> <ext> [<dialplan>] [<context>]: the api splits, it does not expand (recorded:
      // transfer/freeswitch-log-uuid-transfer-literal.txt, `Transfer … to XML[${destination_number}@rooms]`).
      const [ext = '', , ctx = 'default'] = separateWords(r.transferTarget, 3);
      transferNow(ext, ctx);
    }
    // unreachable, or `resume` + `exit`: the dialplan goes on with the next action.
  }

  async function bridgeApp(data: string): Promise<void> {
    const vars: Record<string, string> = {};
    let dial = data;
    const block = /^\{([^}]*)\}/.exec(dial);
    if (block) {
      for (const kv of block[1]!.split(',')) {
        const eq = kv.indexOf('=');
        if (eq > 0) vars[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      dial = dial.slice(block[0].length);
    }
    const m = /^sofia\/([^/]+)\/(.+)$/.exec(dial);
    if (!m) {
      // error/user_not_registered and the like: the originate fails with that cause.
      const cause = dial.startsWith('error/') ? dial.slice(6).toUpperCase() : 'INVALID_GATEWAY';
      hangup(cause);
      return;
    }
    const req: DialRequest = { profile: m[1]!, uri: m[2]!, callId: vars.sip_invite_call_id, variables: vars };
    result.bridges.push(req);
    const leg = opts.dial?.(req) ?? { outcome: Promise.resolve({ answered: true as const }), cancel: () => {} };
    let cancelled = false;
    interrupt = () => {
      cancelled = true;
      leg.cancel();
      wake();
    };
    let wake = () => {};
    const woken = new Promise<'woken'>((resolve) => {
      wake = () => resolve('woken');
    });
    const outcome = await Promise.race([leg.outcome, woken]);
    interrupt = undefined;
    if (cancelled || outcome === 'woken') {
      result.trace.push('Originate Cancelled by originator termination Cause: 487 [ORIGINATOR_CANCEL]');
      return;
    }
    if (outcome.answered) {
      result.answered = true;
      hangup('NORMAL_CLEARING');
      return;
    }
    hangup(outcome.cause);
  }

  async function sleepApp(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      interrupt = () => {
        clearTimeout(t);
        resolve();
      };
    });
    interrupt = undefined;
  }

  async function execute(app: string, data: string): Promise<void> {
    switch (app) {
      case 'set':
      case 'export': {
        const eq = data.indexOf('=');
        if (eq > 0) variables[data.slice(0, eq)] = data.slice(eq + 1);
        return;
      }
      case 'log': {
        const [level = '', ...rest] = data.split(' ');
        result.logs.push(`[${level}] ${rest.join(' ')}`);
        return;
      }
      case 'sched_transfer': {
        const [when = '', ext = '', , ctx = 'default'] = separateWords(data, 4);
        if (!ext) return;
        schedule(Number(when.replace(/^\+/, '')) || 0, () => transferNow(ext, ctx));
        return;
      }
      case 'sched_hangup': {
        const [when = '', cause = 'ALLOTTED_TIMEOUT'] = separateWords(data, 2);
        schedule(Number(when.replace(/^\+/, '')) || 0, () => hangup(cause));
        return;
      }
      case 'sched_cancel':
        deleteGroup(data.trim() === '' ? uuid : data.trim());
        return;
      case 'socket':
        return socketApp(data);
      case 'transfer': {
        const [ext = '', , ctx = 'default'] = separateWords(data, 4);
        transferNow(ext, ctx);
        return;
      }
      case 'bridge':
        return bridgeApp(data);
      case 'respond': {
        const code = Number.parseInt(data, 10);
        if (code >= 300) hangup('NORMAL_CLEARING', code);
        return;
      }
      case 'hangup':
        hangup(data.trim() || 'NORMAL_CLEARING');
        return;
      case 'answer':
        result.answered = true;
        return;
      case 'sleep':
        return sleepApp(Number(data) || 0);
      default:
        return;
    }
  }

  const cap = setTimeout(() => hangup('ALLOTTED_TIMEOUT'), maxMs);
  try {
    let ctxName = opts.context;
    for (let transfers = 0; transfers <= MAX_TRANSFERS && !hungUp; transfers++) {
      const actions = hunt(ctxName);
      if (!actions) {
        result.trace.push('No Route, Aborting');
        hangup('NO_ROUTE_DESTINATION');
        break;
      }
      for (const a of actions) {
        if (hungUp || pendingTransfer) break;
        const data = expand(a.data);
        result.executed.push({ context: ctxName, app: a.app, data });
        await execute(a.app, data);
      }
      if (hungUp) break;
      if (!pendingTransfer) {
        // The extension ran out of applications: FreeSWITCH hangs the call up.
        hangup('NORMAL_CLEARING');
        break;
      }
      const next: { ext: string; ctx: string } = pendingTransfer;
      pendingTransfer = undefined;
      result.trace.push(`Transfer to XML[${next.ext}@${next.ctx}]`);
      profile.destination_number = next.ext;
      profile.context = next.ctx;
      ctxName = next.ctx;
    }
  } finally {
    clearTimeout(cap);
    for (const t of tasks.values()) clearTimeout(t.timer);
    tasks.clear();
  }
  result.destination = profile.destination_number;
  result.context = profile.context;
  return result;
}

/**
 * A room that rings for `ringMs`, then answers or fails with `cause` (USER_BUSY: the recording's room answered
 * 486 after 8 s). Every INVITE and CANCEL it gets is recorded in `log` (as fallback/ringing-room.jsonl does).
 */
export function ringingRoom(
  ringMs: number,
  end: { answered: true } | { answered: false; cause: string },
  log: Array<{ invite?: string; cancel?: string; uri: string }>,
): (req: DialRequest) => RoomLeg {
  return (req) => {
    const id = req.callId ?? '(new)';
    log.push({ invite: id, uri: req.uri });
    let timer: NodeJS.Timeout | undefined;
    let settle: (v: { answered: true } | { answered: false; cause: string }) => void = () => {};
    const outcome = new Promise<{ answered: true } | { answered: false; cause: string }>((resolve) => {
      settle = resolve;
      timer = setTimeout(() => resolve(end), ringMs);
    });
    return {
      outcome,
      cancel: () => {
        clearTimeout(timer);
        log.push({ cancel: id, uri: req.uri });
        settle({ answered: false, cause: 'ORIGINATOR_CANCEL' });
      },
    };
  };
}
