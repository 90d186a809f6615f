/// <reference path="./drachtio-mw-digest-auth.d.ts" />
import { type Guard, type Logger, parseIp } from '@ghostguard/core';
import { parseNameAddr, parseSipUri, splitHeaderList } from '@ghostguard/core/sip';
import { reportAuthOutcomes, withMethods } from '@ghostguard/drachtio';
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
 * authenticated username must be the AOR's user, and a binding never changes without credentials. svwar's
 * REGISTERs (`Contact: sip:<ext>@<proxy>`) are challenged and never stored; a REGISTER with wrong credentials
 * for a room on file, or one without credentials binding a room on file to another party's address, goes to
 * `guard.rooms.checkRegister` (a hijack attempt when it would move the room).
 * Registered rooms are fed to `guard.rooms`, so calls to anything else are a dial-shape signal.
 */
export function installRegistrar(app: Srf, o: RegistrarOptions): void {
  const srf = withMethods(app);
  const { guard, accounts, bindings, logger } = o;

  // Auth failures (a credentialed REGISTER answered 401/403/407) raise the source's score.
  srf.use('register', reportAuthOutcomes(guard));

  // A REGISTER whose credentials fail is checked against the binding on file (hijack → immediate ban).
  srf.use('register', (req, res, next) => {
    if (req.has('authorization') || req.has('proxy-authorization')) {
      res.once('end', ({ status }) => {
        if (status !== 401 && status !== 403 && status !== 407) return;
        const user = aorUser(req);
        const contact = contactOf(req);
        if (user === undefined || contact === undefined || contact.star) return;
        guard.rooms.checkRegister({
          aor: user,
          contact: contact.uri,
          source: sourceOf(req),
          authenticated: false,
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
    if (!check.accept) {
      res.send(403);
      return;
    }
    const expires = Math.min(contact.expires, o.maxExpires);
    if (!bindings.set({ user, contact: contact.uri, source, expiresAt: Date.now() + expires * 1000 })) {
      res.send(503);
      return;
    }
    guard.rooms.register({ aor: user, contact: contact.uri, source, expires, adapter: 'drachtio' });
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
