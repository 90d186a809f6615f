/// <reference path="./drachtio-mw-digest-auth.d.ts" />
import { type Guard, type Logger, LogThrottle, parseIp } from '@ghostguard/core';
import { parseNameAddr, parseSipUri, splitHeaderList } from '@ghostguard/core/sip';
import { reportAuthFailure, withMethods } from '@ghostguard/drachtio';
import digestAuth from 'drachtio-mw-digest-auth';
import type Srf from 'drachtio-srf';
import type { Accounts } from './accounts.js';
import type { Bindings } from './bindings.js';

type Req = Srf.SrfRequest;

export interface RegistrarOptions {
  guard: Guard;
  accounts: Accounts;
  bindings: Bindings;
  /** Digest realm (the domain rooms register in). */
  realm: string;
  /** Longest registration granted, seconds. */
  maxExpires: number;
  logger: Logger;
  /** False: never refuse a binding on the guard's word (no guard attached). Default true. */
  enforce?: boolean;
}

const DEFAULT_EXPIRES = 3600;

function sourceOf(req: Req): { ip: string; port?: number } {
  const port = Number(req.source_port);
  return Number.isInteger(port) ? { ip: req.source_address, port } : { ip: req.source_address };
}

/** The AOR user a REGISTER is for (To header), lower case; undefined when it has none. */
function aorUser(req: Req): string | undefined {
  const to = parseNameAddr(req.get('to') ?? '');
  return to?.sipUri?.user?.toLowerCase();
}

/** First Contact and its expiry: the Contact's `expires` parameter, else the Expires header, else the default. */
function contactOf(req: Req): { uri: string; star: boolean; expires: number } | undefined {
  const raw = req.get('contact');
  if (raw === undefined) return undefined;
  const first = parseNameAddr(splitHeaderList(raw)[0] ?? '');
  if (first === undefined) return undefined;
  const header = Number.parseInt(req.get('expires') ?? '', 10);
  const param = Number.parseInt(first.params.get('expires') ?? '', 10);
  const expires = Number.isFinite(param) ? param : Number.isFinite(header) ? header : DEFAULT_EXPIRES;
  return { uri: first.uri, star: first.uri === '*', expires: Math.max(0, expires) };
}

/**
 * A registrar for room systems: REGISTER is always authenticated (digest, drachtio-mw-digest-auth), the
 * authenticated username must be the AOR's user, and a binding never changes without credentials. Every account
 * is a room the guard knows exists (room-proxy.ts declares them), so a room's REGISTER is never a call to an
 * unknown target, however it is named and however many rooms register from one address. svwar's
 * REGISTERs (`Contact: sip:<ext>@<proxy>`) are challenged and never stored; a REGISTER with wrong credentials
 * for a room on file, or one without credentials binding a room on file to another party's address, goes to
 * `guard.rooms.checkRegister` (a hijack attempt when it would move the room).
 * Registered rooms are fed to `guard.rooms`. In monitor mode the registrar answers exactly as without the guard.
 */
export function installRegistrar(app: Srf, o: RegistrarOptions): void {
  const srf = withMethods(app);
  const { guard, accounts, bindings, logger } = o;

  // The registrar's own 403 to a binding the guard refused (its credentials were right): not a failed password.
  const refusedBinding = new WeakSet<object>();
  const monitor = (): boolean => o.enforce === false || guard.config.mode === 'monitor';
  // A peer can repeat what triggers it: one line a second, with how many were left out.
  const wouldRefuseLog = new LogThrottle(1000);

  // A REGISTER that carried credentials and was answered 401/403/407 failed authentication: reported (svcrack's
  // guessing raises the source's score and, at bans.failuresToBan, bans it), and checked against the binding on
  // file (wrong credentials that would move a room: a hijack attempt, banned at once).
  srf.use('register', (req, res, next) => {
    if (req.has('authorization') || req.has('proxy-authorization')) {
      res.once('end', ({ status }) => {
        if (status !== 401 && status !== 403 && status !== 407) return;
        if (refusedBinding.has(req)) return;
        reportAuthFailure(guard, req, `REGISTER answered ${status}`);
        const user = aorUser(req);
        const contact = contactOf(req);
        if (user === undefined || contact === undefined || contact.star) return;
        guard.rooms.checkRegister({
          aor: user,
          contact: contact.uri,
          source: sourceOf(req),
          authenticated: false,
          credentials: 'failed',
          adapter: 'drachtio',
        });
      });
    }
    next();
  });

  // A REGISTER without credentials that would bind a room on file to an address that is not the sender's own
  // (svwar's `Contact: sip:<ext>@<proxy>`, a redirect of the room's calls) is a hijack attempt: reported (the
  // source is banned at once), then challenged like any other REGISTER, so the answer tells a scanner nothing.
  // A room that moved sends its own new address: that is challenged as usual and moves with its credentials.
  srf.use('register', (req, _res, next) => {
    if (!req.has('authorization') && !req.has('proxy-authorization')) {
      const user = aorUser(req);
      const contact = contactOf(req);
      const source = sourceOf(req);
      if (
        user !== undefined &&
        contact !== undefined &&
        !contact.star &&
        contact.expires > 0 &&
        !pointsAt(contact.uri, source.ip)
      ) {
        guard.rooms.checkRegister({
          aor: user,
          contact: contact.uri,
          source,
          authenticated: false,
          adapter: 'drachtio',
        });
      }
    }
    next();
  });

  srf.use(
    'register',
    digestAuth({
      realm: o.realm,
      passwordLookup: (username, _realm, callback) => callback(null, accounts.get(username.toLowerCase()) ?? null),
    }),
  );

  srf.use('register', (req, res) => {
    const user = aorUser(req);
    const authenticatedAs = req.authorization?.username?.toLowerCase();
    if (user === undefined || authenticatedAs !== user) {
      // Valid credentials for one room do not let it register another.
      res.send(403);
      return;
    }
    const contact = contactOf(req);
    if (contact === undefined) {
      // A fetch of the current bindings.
      const b = bindings.get(user);
      res.send(
        200,
        b ? { headers: { Contact: `<${b.contact}>;expires=${Math.round((b.expiresAt - Date.now()) / 1000)}` } } : {},
      );
      return;
    }
    const source = sourceOf(req);
    if (contact.expires === 0) {
      bindings.delete(user);
      guard.rooms.unregister(user);
      logger.info({ event: 'room-unregistered', room: user, ip: source.ip }, 'room unregistered');
      res.send(200);
      return;
    }
    const check = guard.rooms.checkRegister({
      aor: user,
      contact: contact.uri,
      source,
      authenticated: true,
      adapter: 'drachtio',
    });
    if (!check.accept && !monitor()) {
      refusedBinding.add(req);
      res.send(403);
      return;
    }
    const expires = Math.min(contact.expires, o.maxExpires);
    if (!bindings.set({ user, contact: contact.uri, source, expiresAt: Date.now() + expires * 1000 })) {
      res.send(503);
      return;
    }
    if (check.accept) guard.rooms.register({ aor: user, contact: contact.uri, source, expires, adapter: 'drachtio' });
    else {
      // Monitor mode changes nothing a caller sees: the REGISTER is answered and bound as it would be without the
      // guard. The guard's registry keeps the room where it was (checkRegister logged the refusal it would make).
      const suppressed = wouldRefuseLog.take();
      if (suppressed !== undefined) {
        logger.warn(
          {
            event: 'room-would-refuse',
            room: user,
            contact: contact.uri,
            ip: source.ip,
            change: check.change,
            suppressed,
          },
          'monitor mode: REGISTER the guard would refuse is answered and bound as without the guard',
        );
      }
    }
    logger.info(
      { event: 'room-registered', room: user, contact: contact.uri, ip: source.ip, change: check.change },
      'room registered',
    );
    res.send(200, { headers: { Contact: `<${contact.uri}>;expires=${expires}` } });
  });
}

/** Whether a Contact URI's host is `ip` (the sender binding its own address). */
function pointsAt(contactUri: string, ip: string): boolean {
  const host = parseSipUri(contactUri)?.host;
  if (host === undefined) return false;
  return (parseIp(host)?.text ?? host) === (parseIp(ip)?.text ?? ip);
}

/** The user part of a Request-URI, lower case. */
export function targetUser(uri: string): string | undefined {
  return parseSipUri(uri)?.user?.toLowerCase();
}
