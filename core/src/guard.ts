import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { CallAttempt, Endpoint } from './attempt.js';
import { checkAttemptBody, checkAttemptEnvelope } from './attempt-check.js';
import { type ConfigInput, type GhostguardConfig, parseConfig } from './config.js';
import { GhostguardError } from './errors.js';
import { type FeedInfo, FeedLists, type FeedUpdate } from './feeds/feed-lists.js';
import { createLogger, type Logger, LogThrottle } from './log.js';
import { CidrSet } from './net/cidr-set.js';
import { type ParsedIp, parseIp } from './net/ip.js';
import { type Outcome, OutcomeSchema } from './outcome.js';
import { Policy } from './policy.js';
import { RefusalLog, type RefusalNote } from './refusal-log.js';
import { createGuardRooms, type GuardRooms } from './rooms/guard-rooms.js';
import { RoomRegistry } from './rooms/room-registry.js';
import { BehaviourRules } from './rules/behaviour.js';
import { CallerPolicies } from './rules/callers.js';
import { DialShapeRules } from './rules/dial-shape.js';
import { FingerprintMatcher } from './rules/fingerprints.js';
import { IdentityRules } from './rules/identity.js';
import { MediaRules, offersVideo } from './rules/media.js';
import { MemoryRules, REFUSALS_BAN_RULE, type RememberedSource } from './rules/memory.js';
import { TargetKnowledge, targetUserOf } from './rules/target-knowledge.js';
import { RuleWeights } from './rules/weights.js';
import { BanList, type BanOrigin, type UnbanCause } from './state/ban-list.js';
import { BanStore } from './state/ban-store.js';
import { type ParsedRange, parseRange, rangeHas } from './state/range-index.js';
import { SuspectMemory } from './state/suspect-memory.js';
import { TarpitBudget } from './tarpit.js';
import { type Action, type BanInfo, BanInfoSchema, type Reason, type Verdict } from './verdict.js';

export const GUARD_RULES = {
  allowlist: 'trust.allowlist',
  banned: 'known-bad.banned',
  denylist: 'known-bad.denylist',
  feed: 'known-bad.feed',
  invalid: 'guard.invalid-input',
  internal: 'guard.internal-error',
  undecodable: 'input.undecodable',
} as const;

/**
 * Weight of a request that does not decode, or decodes only with parts skipped (padded past the parser's caps,
 * a NUL byte, a UUIE that does not decode): enough for the reject tier on its own. A real SIP stack accepts
 * such padding, so it must cost the sender, never buy a pass.
 */
const UNDECODABLE_WEIGHT = 60;

/** Weight of a ban or deny-list hit: always enough for the top tier of the default policy. */
const KNOWN_BAD_WEIGHT = 100;
/** Rules whose weight does not count towards a new ban (the source is already known bad). */
const KNOWN_BAD_RULES = new Set<string>([GUARD_RULES.banned, GUARD_RULES.denylist, GUARD_RULES.feed]);
const EARNED_TRUST_RULE = 'trust.earned';
/** pino's numeric value of `info`. */
const INFO_LEVEL = 30;
const SWEEP_INTERVAL_MS = 10_000;
const SWEEP_BUDGET = 5_000;

export interface GuardEvents {
  /** `timing.seconds`: how long judge() took for this verdict (for a latency histogram). */
  verdict: (attempt: CallAttempt, verdict: Verdict, timing: { seconds: number }) => void;
  /** `origin` is `replica` for a ban merged from elsewhere (bans.merge): sync code must not re-publish it. */
  ban: (ban: BanInfo, origin: BanOrigin) => void;
  unban: (ip: string, cause: UnbanCause) => void;
  /** A reputation feed was replaced or cleared (`guard.feeds.cidrs()` has the new entries). */
  feeds: (name: string) => void;
  /** reconfigure() applied a new configuration (`guard.config` is the new one). */
  reconfigured: (result: ReconfigureResult) => void;
  /**
   * An outcome report that counted (valid, source not trusted). `origin` is `replica` for one another node
   * reported (`report(outcome, {origin: 'replica'})`): sync code shares the local ones only.
   */
  report: (outcome: Outcome, origin: BanOrigin) => void;
}

export interface MalformedRequest {
  protocol: 'sip' | 'h323';
  /** The method or message type, as far as it could be read (e.g. SETUP, INVITE, UNKNOWN). */
  method: string;
  source: Endpoint;
  local?: Partial<Endpoint>;
  /** ms since the epoch */
  time: number;
  /** Why it could not be decoded (the decoder's error message). */
  detail: string;
  adapter?: string;
  /**
   * What could be read before decoding stopped (User-Agent, Via branch, From tag, target, SDP; a SETUP's Q.931
   * part): judged by every rule, with the undecodable signal on top. Its source is the request's.
   */
  partial?: CallAttempt;
}

/**
 * A well-typed stand-in for an undecodable request, for logs, `verdict` listeners and reports (`ghostguard
 * analyze` shows it beside the verdict): what judgeMalformed judges when no `partial` is given.
 */
export function placeholderAttempt(r: MalformedRequest): CallAttempt {
  const base = {
    method: (typeof r.method === 'string' ? r.method.slice(0, 32) : '') || 'UNKNOWN',
    source: r.source,
    ...(r.local ? { local: r.local } : {}),
    target: {},
    caller: {},
    time: r.time,
    ...(r.adapter ? { adapter: r.adapter } : {}),
  };
  return r.protocol === 'sip'
    ? { protocol: 'sip', ...base, sip: { requestUri: '', hasBody: false } }
    : {
        protocol: 'h323',
        ...base,
        h323: { callReference: 0, sourceAliases: [], destinationAliases: [], fastStartCount: 0 },
      };
}

export interface GuardOptions {
  /** A pino logger (the host app's); default: JSON on stdout at config.log.level. */
  logger?: Logger;
  /** Clock for reports without a time and for background expiry; default Date.now. */
  now?: () => number;
}

export interface BanExplanation {
  ip: string;
  trusted?: string;
  denied?: string;
  /** The reputation feed that lists it, and the entry. */
  feed?: string;
  ban?: BanInfo;
  offenses: number;
  activity?: {
    attemptsInWindow: number;
    distinctUnknownTargets: number;
    failuresInWindow: number;
    trustedUntil?: number;
  };
  /** Refused and "maybe" attempts remembered for this source (IPv6: its /64) within memory.window. */
  memory?: RememberedSource;
  /** True when a room on file registered from this address. */
  roomAddress?: boolean;
}

export interface GuardBans {
  list(): BanInfo[];
  /**
   * Bans an address by hand; `ttl` in ms overrides the escalating TTL. A network (`198.51.100.0/22`,
   * `2001:db8::/32`, no host bits) bans every address in it (default TTL `bans.ttl`); it may not overlap the
   * allowlist. Throws GG_BAN_INVALID for anything else.
   */
  add(ip: string, options: { reason: string; ttl?: number }): BanInfo;
  /** Lifts a ban; `origin: 'replica'` when it was lifted elsewhere (the unban event says so). */
  remove(ip: string, options?: { origin?: BanOrigin }): boolean;
  /**
   * A ban decided elsewhere (another node through the shared store, a reputation feed): kept when it ends
   * later than the ban on file, without escalating; allowlisted addresses are refused. Returns whether
   * anything changed. Emits `ban` with origin `replica`.
   */
  merge(ban: BanInfo): boolean;
  get(ip: string): BanInfo | undefined;
  explain(ip: string): BanExplanation;
}

export interface GuardFeeds {
  /** Replaces feed `name` with these IP addresses / CIDRs; invalid entries are counted and skipped. */
  set(name: string, entries: Iterable<string>): FeedUpdate;
  clear(name: string): boolean;
  list(): FeedInfo[];
  /** Every entry of every feed, as listed (addresses and networks; one listed by two feeds comes twice). */
  cidrs(): Iterable<string>;
}

export interface ReconfigureResult {
  /** State carried over. */
  kept: string[];
  /** Settings that only take effect after a restart (e.g. dataDir). */
  needsRestart: string[];
}

export interface GuardStats {
  judged: number;
  byAction: Record<Action, number>;
  invalid: number;
  internalErrors: number;
  bans: number;
  trackedSources: number;
  trackedPrefixes: number;
  /** Sources with refused or "maybe" attempts on record (memory.*). */
  rememberedSources: number;
  tarpitsInUse: number;
}

export interface Guard {
  readonly config: GhostguardConfig;
  readonly logger: Logger;
  readonly bans: GuardBans;
  readonly tarpits: TarpitBudget;
  /** The room systems registered now (fed by every adapter) and the static ones from the config. */
  readonly rooms: GuardRooms;
  /** Reputation lists (APIBAN, blocklist files), checked in the known-bad layer like deny.cidrs. */
  readonly feeds: GuardFeeds;
  /** Synchronous, no I/O, never throws: a verdict for one call attempt. */
  judge(attempt: CallAttempt): Verdict;
  /**
   * A request the adapter could not decode (malformed SIP, a SETUP whose H.225 is broken). The trust and
   * known-bad layers apply as always; then it is judged like any attempt (on `request.partial`, what could be
   * read, when given) with `input.undecodable` added: attacker-controlled input never fails open.
   */
  judgeMalformed(request: MalformedRequest): Verdict;
  /**
   * Feeds back what the PBX saw; returns the ban it caused, if any. Never throws. `origin: 'replica'` for an
   * outcome another node saw (shared failures count here too, so a guesser spreading over nodes is banned).
   */
  report(outcome: Outcome, options?: { origin?: BanOrigin }): BanInfo | undefined;
  stats(): GuardStats;
  /**
   * Applies a new configuration without losing state (SIGHUP in the daemon): bans, offences, rooms and
   * tarpits in use are kept; behaviour counters too unless the window, prefix lengths or maxSources
   * changed. Throws GG_CONFIG_INVALID (and changes nothing) when the new configuration is invalid.
   */
  reconfigure(config: GhostguardConfig | ConfigInput): ReconfigureResult;
  on<E extends keyof GuardEvents>(event: E, listener: GuardEvents[E]): Guard;
  off<E extends keyof GuardEvents>(event: E, listener: GuardEvents[E]): Guard;
  /** Stops timers and writes bans to the data directory. */
  close(): void;
}

function sumWeights(reasons: readonly Reason[], skipKnownBad: boolean): number {
  let s = 0;
  for (const r of reasons) if (!(skipKnownBad && KNOWN_BAD_RULES.has(r.rule))) s += r.weight;
  return Math.max(s, 0);
}

function hasRule(reasons: readonly Reason[], rule: string): boolean {
  for (let i = 0; i < reasons.length; i++) if (reasons[i]!.rule === rule) return true;
  return false;
}

/**
 * What the attempt itself shows (fingerprints, dial shape, identity, media): the score a "maybe" is judged
 * by. Behaviour and memory already count repetition; counting them again would make any repeat a suspect.
 */
function shapeScore(reasons: readonly Reason[]): number {
  let s = 0;
  for (const r of reasons) {
    if (
      !(
        KNOWN_BAD_RULES.has(r.rule) ||
        r.rule.startsWith('behaviour.') ||
        r.rule.startsWith('memory.') ||
        r.rule.startsWith('trust.')
      )
    )
      s += r.weight;
  }
  return s;
}

function banReason(reasons: readonly Reason[], score: number): string {
  const top = [...reasons]
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .slice(0, 4)
    .map((r) => r.rule);
  return `score ${score}: ${top.join(', ')}`;
}

class GhostGuard implements Guard {
  config: GhostguardConfig;
  readonly logger: Logger;
  readonly tarpits: TarpitBudget;
  readonly bans: GuardBans;
  readonly rooms: GuardRooms;
  readonly feeds: GuardFeeds;

  private readonly events = new EventEmitter();
  private readonly now: () => number;
  private allow = new CidrSet();
  private deny = new CidrSet();
  private fingerprints: FingerprintMatcher;
  private dial: DialShapeRules;
  private behaviour: BehaviourRules;
  private identity: IdentityRules;
  private media: MediaRules;
  private callerPolicies: CallerPolicies;
  private memory: MemoryRules;
  private undecodableWeight: number | undefined;
  private policy: Policy;
  private readonly banList: BanList;
  private readonly registry: RoomRegistry;
  private knowledge: TargetKnowledge;
  private readonly feedLists = new FeedLists();
  /** The embedded store in dataDir (undefined: no dataDir, or it could not be opened). */
  private store: BanStore | undefined;
  private readonly storeErrorLog = new LogThrottle(10_000);
  private monitor: boolean;
  private readonly invalidLog = new LogThrottle(1000);
  /**
   * Verdict lines of refusals (and of monitor mode's would-be refusals), which a peer can make at will: one line
   * per source per window with the count of the rest, and a budget of lines per second for any flood
   * (refusal-log.ts). The ban itself has its own line (onBan).
   */
  private readonly refusalLog: RefusalLog;
  private readonly bannedReasons = new WeakMap<BanInfo, Reason>();
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;
  private readonly counters: GuardStats['byAction'] = { allow: 0, reject: 0, drop: 0, tarpit: 0 };
  private judged = 0;
  private invalid = 0;
  private internalErrors = 0;

  constructor(config: GhostguardConfig, options: GuardOptions) {
    this.config = config;
    this.logger = options.logger ?? createLogger(config);
    this.now = options.now ?? Date.now;
    this.refusalLog = new RefusalLog(this.logger, { of: 'verdict', now: this.now, ...config.log.refusals });
    this.monitor = config.mode === 'monitor';
    this.allow = cidrSetOf(config.trust.cidrs);
    this.deny = cidrSetOf(config.deny.cidrs);
    const weights = new RuleWeights(config.rules);
    this.fingerprints = new FingerprintMatcher(config, weights);
    const registry = new RoomRegistry(config.rooms.maxRooms, config.rooms.static, this.now());
    this.registry = registry;
    this.knowledge = new TargetKnowledge(config.dialShape, registry);
    this.dial = new DialShapeRules(config, weights, this.knowledge);
    this.behaviour = new BehaviourRules(config, weights);
    this.identity = new IdentityRules(weights, this.knowledge);
    this.media = new MediaRules(weights);
    this.callerPolicies = new CallerPolicies(config.rooms.callers);
    this.memory = new MemoryRules(config, weights, new SuspectMemory(config.memory.maxSources, config.memory.window));
    this.undecodableWeight = weights.weight(GUARD_RULES.undecodable, UNDECODABLE_WEIGHT);
    this.warnDeprecated(config);
    this.policy = new Policy(config.policy);
    this.tarpits = new TarpitBudget(config.tarpit.maxConcurrent, config.tarpit.holdFor);
    this.banList = new BanList(config.bans, {
      onBan: (ban, origin) => {
        // A replica was logged as a ban where it was decided; here it is one of possibly many merged at once.
        this.logger[origin === 'replica' ? 'info' : 'warn'](
          {
            event: 'ban',
            ip: ban.ip,
            reason: ban.reason,
            until: new Date(ban.until).toISOString(),
            offense: ban.offense,
            origin,
            monitor: this.monitor,
          },
          this.monitor ? 'would ban source (monitor mode)' : origin === 'replica' ? 'ban merged' : 'banned source',
        );
        this.emit('ban', ban, origin);
      },
      onUnban: (ip, cause) => {
        this.logger.info({ event: 'unban', ip, cause }, 'ban lifted');
        this.emit('unban', ip, cause);
      },
      onStored: (ip, ban) => this.store?.ban(ip, ban),
      onOffense: (ip, record) => this.store?.offense(ip, record),
    });
    if (config.dataDir !== null) this.openStore(config);
    this.sweepTimer = setInterval(() => {
      const now = this.now();
      // Pops only what ended (a heap), at most SWEEP_BUDGET a tick: no pause when many bans end at once.
      this.banList.sweep(now, SWEEP_BUDGET);
      registry.sweep(now);
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    this.bans = this.createBansApi();
    this.feeds = {
      set: (name, entries) => {
        const update = this.feedLists.set(String(name), entries, this.now());
        this.logger.info({ event: 'feed-updated', feed: name, ...update }, 'reputation feed updated');
        this.emit('feeds', String(name));
        return update;
      },
      clear: (name) => {
        const cleared = this.feedLists.clear(name);
        if (cleared) this.emit('feeds', name);
        return cleared;
      },
      list: () => this.feedLists.list(),
      cidrs: () => this.feedLists.cidrs(),
    };
    this.rooms = createGuardRooms(registry, {
      now: this.now,
      logger: this.logger,
      report: (o) => this.report(o),
      // Whether valid credentials from this source are most likely cracked: it has been failing authentication.
      suspicious: (ipText) => {
        const ip = parseIp(ipText);
        if (ip === undefined) return true;
        const now = this.now();
        const failures = this.behaviour.describe(ip, now)?.failuresInWindow ?? 0;
        if (failures >= this.config.behaviour.failures) return true;
        // A ban counts only when it is enforced (a monitor-mode "would ban" is not) and was not made from how the
        // source's requests scored (banReason: `score N: …`; memory: `memory.refusals: …`) or from calls to targets
        // that do not exist (report(): `… (last: unknown-target…`): an enumeration or a fingerprint says nothing
        // about passwords. Bans from failed authentication, hijack attempts, by hand or from another node count.
        if (this.monitor) return false;
        const ban = this.banList.get(ip.text, now);
        return ban !== undefined && !/^score \d|^memory\.|\(last: (?:unknown-target|bad-request)\b/.test(ban.reason);
      },
      isBanned: (ipText) => {
        const ip = parseIp(ipText);
        return ip !== undefined && this.banList.lookup(ip, this.now()) !== undefined;
      },
    });
  }

  judge(attempt: CallAttempt): Verdict {
    return this.decide(attempt, undefined);
  }

  judgeMalformed(request: MalformedRequest): Verdict {
    if (typeof request !== 'object' || request === null) {
      return this.decide(null as unknown as CallAttempt, undefined);
    }
    const detail = typeof request.detail === 'string' ? request.detail.slice(0, 512) : 'undecodable request';
    const partial = request.partial;
    const usable =
      partial !== undefined && checkAttemptEnvelope(partial) === undefined && partial.source?.ip === request.source?.ip;
    return this.decide(usable ? partial : placeholderAttempt(request), detail, !usable);
  }

  /**
   * judge() and judgeMalformed(): evaluation, counters, the log line and the verdict event. `placeholder`: the
   * attempt stands in for a request nothing could be read of (only its source counts).
   */
  private decide(attempt: CallAttempt, malformed: string | undefined, placeholder = false): Verdict {
    this.judged++;
    // Timed only when someone listens (metrics): two clock reads are most of a cheap verdict's cost.
    const observed = this.events.listenerCount('verdict') > 0;
    const t0 = observed ? performance.now() : 0;
    let verdict: Verdict;
    try {
      verdict = this.evaluate(attempt, malformed, placeholder);
    } catch (err) {
      this.internalErrors++;
      verdict = this.failVerdict(GUARD_RULES.internal, `internal error: ${(err as Error)?.message ?? String(err)}`);
      this.logger.error(
        { event: 'judge-error', err, onInternalError: this.config.policy.onInternalError },
        `judge failed: fail-${this.config.policy.onInternalError}`,
      );
    }
    this.counters[verdict.action]++;
    // levelVal read rather than isLevelEnabled(): a property read on the hot path, and it follows level changes.
    if (verdict.intended !== 'allow' && this.logger.levelVal <= INFO_LEVEL) {
      const source = (attempt as Partial<CallAttempt> | undefined)?.source?.ip;
      const note = this.refusalLog.takeVerdict(typeof source === 'string' ? source : '', verdict, this.now());
      if (note !== undefined) this.logVerdict(attempt, verdict, note);
    }
    if (observed) this.emit('verdict', attempt, verdict, { seconds: (performance.now() - t0) / 1000 });
    return verdict;
  }

  /**
   * `malformed`: why the request did not decode (judgeMalformed): after the trust and known-bad layers it adds
   * `input.undecodable` and every rule still runs on what could be read; on a placeholder only the source's
   * behaviour and memory count.
   */
  private evaluate(attempt: CallAttempt, malformed: string | undefined, placeholder: boolean): Verdict {
    const problem = checkAttemptEnvelope(attempt);
    if (problem === undefined) {
      // Fast path for the source scanners hammer: an address spelled canonically (every IPv4 address)
      // finds its ban without parsing. Safe before the trust layer because an allowlisted address is
      // never banned (judge never bans one, report() ignores them, bans.add refuses them).
      const ban = this.banList.get(attempt.source.ip, attempt.time);
      if (ban) return this.finish([this.bannedReason(ban)], KNOWN_BAD_WEIGHT, attempt.method, ban);
    }
    const ip = problem === undefined ? parseIp(attempt.source.ip) : undefined;
    if (ip === undefined) {
      return this.invalidVerdict(
        problem ?? `source.ip ${JSON.stringify(String(attempt.source.ip).slice(0, 64))} is not an IP address`,
      );
    }
    const now = attempt.time;

    // Layer 1: trust. Allowlisted peers are never judged further.
    const trusted = this.allow.match(ip);
    if (trusted)
      return this.finish(
        [{ rule: GUARD_RULES.allowlist, detail: `allowlisted: ${trusted.label}`, weight: 0 }],
        0,
        attempt.method,
      );

    // Layer 2: known bad (addresses not spelled canonically reach here: IPv6 in capitals, IPv4-mapped…), and
    // addresses inside a banned prefix (after the trust layer: an allowlisted address in it stays trusted).
    const ban = this.banList.lookup(ip, now);
    if (ban) return this.finish([this.bannedReason(ban)], KNOWN_BAD_WEIGHT, attempt.method, ban);
    const bodyProblem = checkAttemptBody(attempt);
    if (bodyProblem !== undefined) return this.invalidVerdict(bodyProblem);

    const reasons: Reason[] = [];
    // What the caller sent did not decode, or only with parts skipped: a signal of its own, never a pass.
    const anomalies = attempt.anomalies;
    if (
      (malformed !== undefined || (anomalies !== undefined && anomalies.length > 0)) &&
      this.undecodableWeight !== undefined
    ) {
      reasons.push({
        rule: GUARD_RULES.undecodable,
        detail: (malformed ?? `skipped: ${anomalies!.slice(0, 3).join('; ')}`).slice(0, 512),
        weight: this.undecodableWeight,
      });
    }
    let knownBad = false;
    const denied = this.deny.match(ip);
    if (denied) {
      knownBad = true;
      reasons.push({ rule: GUARD_RULES.denylist, detail: `deny-listed: ${denied.label}`, weight: KNOWN_BAD_WEIGHT });
    }
    const listed = this.feedLists.size > 0 ? this.feedLists.match(ip) : undefined;
    if (listed) {
      knownBad = true;
      reasons.push({
        rule: GUARD_RULES.feed,
        detail: `listed by feed ${listed.feed}: ${listed.entry.cidr}`,
        weight: KNOWN_BAD_WEIGHT,
      });
    }

    // Layers 3–4: fingerprints, dial shape (not on a placeholder: its empty fields say nothing of the caller).
    if (!placeholder) this.fingerprints.evaluate(attempt, reasons);
    const known = placeholder ? undefined : this.dial.evaluate(attempt, reasons);
    const user = targetUserOf(attempt);

    // Who is calling: registered rooms calling each other and callers the platform authenticated are not
    // checked for identity, media shape, the room's caller policy or memory.
    const roomSource = this.knowledge.isRoomAddress(ip);
    const outsider = !roomSource && attempt.authenticated !== true;
    const videoToKnownRoom = known === true && offersVideo(attempt.media);
    const fromForged = outsider && this.identity.evaluate(attempt, ip, videoToKnownRoom, reasons);
    let forced: Action | undefined;
    let listedCaller = false;
    const room = outsider && known === true && user !== undefined ? this.knowledge.roomOf(user, now) : undefined;
    if (outsider && known === true) {
      const callers = this.callerPolicies.of(room?.callers);
      if (!callers.inert) {
        const r = callers.evaluate(attempt, ip, room?.aor ?? user ?? '', fromForged, reasons);
        forced = r.forced;
        listedCaller = r.listed;
      }
    }

    // Layer 6 first (its record decides whether neighbours' signals count), then layer 5: behaviour.
    const record = outsider ? this.memory.evaluate(ip, attempt.method, user, attempt.callId, now, reasons) : undefined;
    const muteNeighbours = videoToKnownRoom && record === undefined && !this.banList.offenseOf(ip.text);
    // Rooms behind one NAT address registering are not a REGISTER sweep.
    const observedKnown = roomSource && attempt.method === 'REGISTER' ? true : known;
    this.behaviour.evaluate(ip, now, { user, known: observedKnown }, reasons, muteNeighbours);

    if (outsider && known === true && attempt.media !== undefined) {
      const unknownCaller = !listedCaller && !hasRule(reasons, EARNED_TRUST_RULE);
      this.media.evaluate(attempt, room?.kind ?? this.config.rooms.defaultKind, unknownCaller, reasons);
    }

    const score = sumWeights(reasons, false);
    const ownScore = knownBad ? sumWeights(reasons, true) : score;
    let newBan: BanInfo | undefined;
    if (ownScore >= this.config.bans.banScore) newBan = this.banList.add(ip.text, banReason(reasons, ownScore), now);
    if (outsider) {
      // A refusal by a room's caller policy alone is not remembered: it would ban the caller from every room.
      const refused = this.policy.decide(ownScore, attempt.method) !== 'allow';
      const banNow = this.memory.record(
        ip,
        attempt.method,
        user,
        attempt.callId,
        now,
        shapeScore(reasons),
        refused,
        record,
        reasons,
      );
      if (banNow && newBan === undefined && !this.banList.get(ip.text, now)) {
        const r = this.memory.describe(ip, now);
        newBan = this.banList.add(
          ip.text,
          `${REFUSALS_BAN_RULE}: refused ${r?.refusals ?? 0} times within ${Math.round(this.config.memory.window / 1000)} s (${banReason(reasons, ownScore)})`,
          now,
        );
      }
    }
    return this.finish(reasons, score, attempt.method, newBan, forced);
  }

  private invalidVerdict(detail: string): Verdict {
    this.invalid++;
    const suppressed = this.invalidLog.take(this.now());
    if (suppressed !== undefined) {
      this.logger.warn(
        { event: 'invalid-attempt', detail, onInternalError: this.config.policy.onInternalError, suppressed },
        `invalid call attempt (an adapter fault): fail-${this.config.policy.onInternalError}`,
      );
    }
    return this.failVerdict(GUARD_RULES.invalid, detail);
  }

  /** The reason a banned source is refused, built once per ban: this is the path scanners hammer. */
  private bannedReason(ban: BanInfo): Reason {
    let r = this.bannedReasons.get(ban);
    if (r === undefined) {
      r = Object.freeze({
        rule: GUARD_RULES.banned,
        detail: `banned until ${new Date(ban.until).toISOString()}: ${ban.reason}`,
        weight: KNOWN_BAD_WEIGHT,
      });
      this.bannedReasons.set(ban, r);
    }
    return r;
  }

  /** `forced`: what a room's caller policy demands when the score alone would allow. */
  private finish(reasons: Reason[], score: number, method: string, ban?: BanInfo, forced?: Action): Verdict {
    let intended = this.policy.decide(score, method);
    if (intended === 'allow' && forced !== undefined) intended = this.policy.enforceable(forced, method);
    const v: Verdict = { action: this.monitor ? 'allow' : intended, intended, score, reasons, monitor: this.monitor };
    if (ban) v.ban = ban;
    return v;
  }

  private failVerdict(rule: string, detail: string): Verdict {
    const open = this.config.policy.onInternalError === 'open';
    const intended: Action = open ? 'allow' : this.config.policy.failClosedAction;
    return {
      action: this.monitor ? 'allow' : intended,
      intended,
      score: 0,
      reasons: [{ rule, detail: `${detail} (fail-${this.config.policy.onInternalError})`, weight: 0 }],
      monitor: this.monitor,
    };
  }

  /** `note`: the source's previous window and the refusals the line budget held back (refusal-log.ts). */
  private logVerdict(attempt: CallAttempt, v: Verdict, note: RefusalNote): void {
    const a = (typeof attempt === 'object' && attempt !== null ? attempt : {}) as Partial<CallAttempt>;
    this.logger.info(
      {
        event: 'verdict',
        source: a.source?.ip,
        port: a.source?.port,
        protocol: a.protocol,
        method: a.method,
        target: a.target ? `${a.target.user ?? ''}@${a.target.host ?? ''}` : undefined,
        callId: a.callId,
        adapter: a.adapter,
        action: v.action,
        intended: v.intended,
        score: v.score,
        rules: v.reasons.map((r) => r.rule),
        monitor: v.monitor,
        ...note,
      },
      v.monitor ? `would ${v.intended} call attempt (monitor mode)` : `${v.action} call attempt`,
    );
  }

  report(outcome: Outcome, options?: { origin?: BanOrigin }): BanInfo | undefined {
    try {
      const parsed = OutcomeSchema.safeParse(outcome);
      const ip = parsed.success ? parseIp(parsed.data.source.ip) : undefined;
      if (!parsed.success || ip === undefined) {
        this.logger.warn(
          {
            event: 'invalid-report',
            detail: parsed.success ? 'source.ip is not an IP' : parsed.error.issues[0]?.message,
          },
          'ignored invalid outcome report',
        );
        return undefined;
      }
      const o = parsed.data;
      const now = o.time ?? this.now();
      if (this.allow.match(ip)) return undefined;
      if (this.events.listenerCount('report') > 0) {
        this.emit('report', o, options?.origin === 'replica' ? 'replica' : 'local');
      }
      if (o.kind === 'completed-call') {
        this.behaviour.recordCompletedCall(ip, now);
        return undefined;
      }
      const failures = this.behaviour.recordFailure(ip, now, o.kind === 'unknown-target' ? o.target : undefined);
      const immediate = o.kind === 'hijack-attempt';
      if ((immediate || failures >= this.config.bans.failuresToBan) && !this.banList.lookup(ip, now)) {
        const why = immediate
          ? `hijack attempt${o.target ? ` on ${o.target}` : ''}`
          : `${Math.round(failures)} failures reported by the PBX (last: ${o.kind}${o.detail ? `, ${o.detail}` : ''})`;
        return this.banList.add(ip.text, why, now);
      }
      return undefined;
    } catch (err) {
      this.internalErrors++;
      this.logger.error({ event: 'report-error', err }, 'report failed; outcome ignored');
      return undefined;
    }
  }

  reconfigure(input: GhostguardConfig | ConfigInput): ReconfigureResult {
    const next = parseConfig(input);
    const prev = this.config;
    const kept: string[] = [];
    const needsRestart: string[] = [];
    const weights = new RuleWeights(next.rules);
    this.allow = cidrSetOf(next.trust.cidrs);
    this.deny = cidrSetOf(next.deny.cidrs);
    // The banned fast path runs before the trust layer, so no trusted address may stay banned.
    const now = this.now();
    for (const ban of this.banList.list(now)) {
      const ip = parseIp(ban.ip);
      if (ip && this.allow.match(ip)) this.banList.remove(ban.ip);
    }
    this.fingerprints = new FingerprintMatcher(next, weights);
    this.registry.reconfigure(next.rooms.maxRooms, next.rooms.static, now);
    this.knowledge = new TargetKnowledge(next.dialShape, this.registry);
    this.dial = new DialShapeRules(next, weights, this.knowledge);
    this.identity = new IdentityRules(weights, this.knowledge);
    this.media = new MediaRules(weights);
    this.callerPolicies = new CallerPolicies(next.rooms.callers);
    // Remembered refusals carry over unless the memory's window or size changed.
    const sameMemory = sameJson(
      [prev.memory.window, prev.memory.maxSources],
      [next.memory.window, next.memory.maxSources],
    );
    this.memory = new MemoryRules(
      next,
      weights,
      sameMemory ? this.memory.store : new SuspectMemory(next.memory.maxSources, next.memory.window),
    );
    // Counters are only meaningful under the same window and prefix lengths: kept when those are unchanged.
    const sameCounters = sameJson(
      [prev.behaviour.window, prev.behaviour.prefixV4, prev.behaviour.prefixV6, prev.behaviour.maxSources],
      [next.behaviour.window, next.behaviour.prefixV4, next.behaviour.prefixV6, next.behaviour.maxSources],
    );
    this.behaviour = new BehaviourRules(next, weights, sameCounters ? this.behaviour : undefined);
    kept.push(
      'bans',
      'rooms',
      'tarpits in use',
      sameCounters ? 'behaviour counters' : '',
      sameMemory ? 'remembered refusals' : '',
    );
    this.undecodableWeight = weights.weight(GUARD_RULES.undecodable, UNDECODABLE_WEIGHT);
    this.warnDeprecated(next);
    this.policy = new Policy(next.policy);
    this.banList.setPolicy(next.bans);
    this.tarpits.resize(next.tarpit.maxConcurrent, next.tarpit.holdFor);
    this.monitor = next.mode === 'monitor';
    if (next.log.level !== prev.log.level) this.logger.level = next.log.level;
    if (next.dataDir !== prev.dataDir) needsRestart.push('dataDir');
    // Prefix lengths shape the ban list's keys; the store's settings are read when it opens.
    if (!sameJson([prev.bans.aggregate.v4, prev.bans.aggregate.v6], [next.bans.aggregate.v4, next.bans.aggregate.v6]))
      needsRestart.push('bans.aggregate');
    if (!sameJson(prev.store, next.store)) needsRestart.push('store');
    if (!sameJson(prev.log.refusals, next.log.refusals)) needsRestart.push('log.refusals');
    this.config = next;
    const result: ReconfigureResult = { kept: kept.filter((k) => k !== ''), needsRestart };
    this.logger.info(
      { event: 'reconfigured', kept: result.kept, needsRestart, behaviourReset: !sameCounters },
      'configuration reloaded',
    );
    this.emit('reconfigured', result);
    return result;
  }

  stats(): GuardStats {
    return {
      judged: this.judged,
      byAction: { ...this.counters },
      invalid: this.invalid,
      internalErrors: this.internalErrors,
      bans: this.banList.size,
      trackedSources: this.behaviour.sources.size,
      trackedPrefixes: this.behaviour.prefixes.size,
      rememberedSources: this.memory.store.size,
      tarpitsInUse: this.tarpits.inUse,
    };
  }

  on<E extends keyof GuardEvents>(event: E, listener: GuardEvents[E]): Guard {
    this.events.on(event, listener);
    return this;
  }

  off<E extends keyof GuardEvents>(event: E, listener: GuardEvents[E]): Guard {
    this.events.off(event, listener);
    return this;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.refusalLog.close();
    try {
      this.store?.close();
    } catch (err) {
      this.logger.error({ event: 'bans-save-failed', err }, 'could not persist bans');
    }
  }

  /** A listener that throws must not break judge() or report(). */
  private emit<E extends keyof GuardEvents>(event: E, ...args: Parameters<GuardEvents[E]>): void {
    try {
      this.events.emit(event, ...args);
    } catch (err) {
      this.logger.error({ event: 'listener-error', listenerOf: event, err }, 'a guard event listener threw');
    }
  }

  /**
   * Opens the embedded store in dataDir, migrating a legacy bans.json, and restores what is on file. A store that
   * cannot be opened leaves the guard working in memory (one error line, GG_STATE_IO).
   */
  private openStore(config: GhostguardConfig): void {
    try {
      const opened = BanStore.open(config.dataDir!, config.store, this.now());
      const store = opened.store;
      store.onError = (err) => {
        const suppressed = this.storeErrorLog.take(this.now());
        if (suppressed !== undefined)
          this.logger.error({ event: 'bans-save-failed', err, suppressed }, 'could not persist bans; will retry');
      };
      this.store = store;
      this.banList.restore(opened.snapshot, this.now());
      // Offence records (escalation only): the first page now, the rest a page per turn of the event loop.
      this.loadOffenses(store, '');
      store.startCheckpointer();
      this.logger.info(
        {
          event: 'bans-loaded',
          file: store.path,
          bans: this.banList.size,
          migrated: opened.migrated,
          tempFilesRemoved: opened.cleaned,
          expiredOnFile: opened.stale,
        },
        'bans restored',
      );
      if (store.legacyError !== undefined)
        this.logger.error(
          { event: 'bans-migrate-failed', err: store.legacyError },
          'could not import the legacy bans.json (left in place, tried again next start)',
        );
    } catch (err) {
      this.logger.error({ event: 'bans-load-failed', err }, 'could not restore bans; starting with none');
    }
  }

  private loadOffenses(store: BanStore, after: string): void {
    if (this.closed) return;
    try {
      const { page, next } = store.readOffenses(after, this.now(), this.config.bans.offenseMemory);
      this.banList.restoreOffenses(page, this.now());
      if (next !== undefined) setImmediate(() => this.loadOffenses(store, next)).unref();
    } catch (err) {
      this.logger.error(
        { event: 'bans-load-failed', err },
        'could not restore offence records; escalation starts afresh',
      );
    }
  }

  /** An operator's change: written to the store before it returns (GG_STATE_IO if that fails). */
  private durably<T>(change: () => T): T {
    return this.store === undefined ? change() : this.store.writeThrough(change);
  }

  private warnDeprecated(config: GhostguardConfig): void {
    if (config.policy.deprecatedFailMode === undefined) return;
    this.logger.warn(
      { event: 'config-deprecated', key: 'policy.failMode', use: 'policy.onInternalError' },
      "policy.failMode is now policy.onInternalError (it governs ghostguard's own faults only; undecodable requests are scored)",
    );
  }

  private parseOrThrow(ipText: string): ParsedIp {
    const ip = parseIp(ipText);
    if (!ip) throw new GhostguardError('GG_BAN_INVALID', `not an IP address: ${JSON.stringify(ipText.slice(0, 64))}`);
    return ip;
  }

  /** An operator's ban of a network: refused when it overlaps the allowlist (the kernel bouncer mirrors bans). */
  private addRangeBan(text: string, reason: string, ttl: number | undefined): BanInfo {
    const r = parseRange(text);
    if (r === undefined) {
      throw new GhostguardError(
        'GG_BAN_INVALID',
        `not a network: ${JSON.stringify(text.slice(0, 64))} (write it like 198.51.100.0/22 or 2001:db8::/32, without host bits)`,
      );
    }
    const overlap = this.trustedOverlap(r);
    if (overlap !== undefined) {
      throw new GhostguardError(
        'GG_BAN_INVALID',
        `${r.text} overlaps the allowlist (${overlap}); ban a network that leaves trust.cidrs out`,
      );
    }
    const ban = this.durably(() => this.banList.addRange(r.text, reason, this.now(), ttl));
    if (ban === undefined) throw new GhostguardError('GG_BAN_INVALID', `${r.text} could not be banned`);
    return ban;
  }

  /**
   * A trust.cidrs entry that overlaps `r`, or undefined: one containing `r`'s first address, or one whose first
   * address `r` contains (one pass over the configured list: an operator's act, not the judging path).
   */
  private trustedOverlap(r: ParsedRange): string | undefined {
    const containing = this.allow.match(r.base);
    if (containing !== undefined) return containing.label;
    for (const c of this.config.trust.cidrs) {
      const text = typeof c === 'string' ? c : c.address;
      const first = parseIp(text.split('/')[0] ?? '');
      if (first !== undefined && rangeHas(r, first)) return typeof c === 'string' ? c : (c.name ?? c.address);
    }
    return undefined;
  }

  private createBansApi(): GuardBans {
    return {
      list: () => this.banList.list(this.now()),
      add: (ipText, { reason, ttl }) => {
        if (typeof ipText === 'string' && ipText.includes('/')) return this.addRangeBan(ipText, reason, ttl);
        const ip = this.parseOrThrow(ipText);
        const trusted = this.allow.match(ip);
        if (trusted)
          throw new GhostguardError(
            'GG_BAN_INVALID',
            `${ip.text} is allowlisted (${trusted.label}); remove it from trust.cidrs first`,
          );
        // An operator's ban is admitted at the cap whatever it evicts, and is on disk before this returns.
        return this.durably(() => this.banList.add(ip.text, reason, this.now(), ttl, true));
      },
      remove: (ipText, options) => {
        const cause = options?.origin === 'replica' ? 'replica' : 'removed';
        const ip = parseIp(ipText);
        const key = ip ? ip.text : typeof ipText === 'string' && ipText.includes('/') ? ipText : undefined;
        if (key === undefined) return false;
        // An operator's lift is on disk before this returns; one applied from elsewhere goes with the next batch.
        // A prefix ban is lifted by its own text (`198.51.100.0/24`, as bans.list() shows it).
        return cause === 'removed'
          ? this.durably(() => this.banList.remove(key, cause))
          : this.banList.remove(key, cause);
      },
      merge: (ban) => {
        const parsed = BanInfoSchema.safeParse(ban);
        // A prefix ban another node folded (`198.51.100.0/24` at this guard's prefix lengths).
        if (parsed.success && parsed.data.ip.includes('/')) return this.banList.merge(parsed.data, this.now());
        const ip = parsed.success ? parseIp(parsed.data.ip) : undefined;
        if (!parsed.success || ip === undefined) {
          this.logger.warn({ event: 'invalid-ban', detail: parsed.error?.issues[0]?.message }, 'ignored invalid ban');
          return false;
        }
        const trusted = this.allow.match(ip);
        if (trusted) {
          this.logger.warn(
            { event: 'ban-refused', ip: ip.text, trusted: trusted.label },
            'ignored ban of an allowlisted source',
          );
          return false;
        }
        return this.banList.merge({ ...parsed.data, ip: ip.text }, this.now());
      },
      get: (ipText) => {
        const ip = parseIp(ipText);
        return ip ? this.banList.lookup(ip, this.now()) : undefined;
      },
      explain: (ipText) => {
        const ip = this.parseOrThrow(ipText);
        const now = this.now();
        const out: BanExplanation = { ip: ip.text, offenses: this.banList.offenseOf(ip.text)?.count ?? 0 };
        const t = this.allow.match(ip);
        if (t) out.trusted = t.label;
        const d = this.deny.match(ip);
        if (d) out.denied = d.label;
        const f = this.feedLists.match(ip);
        if (f) out.feed = `${f.feed}: ${f.entry.cidr}`;
        const ban = this.banList.lookup(ip, now);
        if (ban) out.ban = ban;
        const activity = this.behaviour.describe(ip, now);
        if (activity) out.activity = activity;
        const remembered = this.memory.describe(ip, now);
        if (remembered) out.memory = remembered;
        if (this.knowledge.isRoomAddress(ip)) out.roomAddress = true;
        return out;
      },
    };
  }
}

function cidrSetOf(list: GhostguardConfig['trust']['cidrs']): CidrSet {
  const set = new CidrSet();
  for (const c of list) {
    if (typeof c === 'string') set.add(c);
    else set.add(c.address, c.name);
  }
  return set;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Creates a guard from a parsed config or raw config input (validated here). */
export function createGuard(config: GhostguardConfig | ConfigInput = {}, options: GuardOptions = {}): Guard {
  return new GhostGuard(parseConfig(config), options);
}
