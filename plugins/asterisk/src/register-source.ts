import type { AmiObject } from 'asterisk-manager';
import { parseSecurityAddress, type SourceAddress } from './address.js';
import { textField } from './fields.js';
import { putNewest } from './newest-first.js';

/**
 * Where a PJSIP REGISTER really came from. Neither ContactStatus nor the ContactList listing says it: the
 * listing's ViaAddr is the Via sent-by the client wrote (svcrack's REGISTER from 127.0.0.75 lists
 * `ViaAddr: 127.0.0.1`, ../shared/fixtures/asterisk-20.20.1-live/ami-pjsip-after-core-restart.follow.txt). The
 * registrar's authentication does: `SuccessfulAuth` with `Service: PJSIP`, `AccountID: <endpoint>`,
 * `SessionID: <Call-ID>` and `RemoteAddress: IPV4/UDP/<ip>/<port>`, raised just before the ContactStatus of the
 * contact it stores (ami-pjsip-register-qualify0.follow.txt, ami-pjsip-svcrack.follow.txt). This keeps the
 * latest one per account (for ContactStatus, within `windowMs`) and per Call-ID (for a listing's CallId).
 * Bounded FIFO maps, constant time per event.
 */
export const MAX_REMEMBERED_AUTHS = 4_096;

interface Auth {
  source: SourceAddress;
  at: number;
}

export class RegisterSources {
  private readonly byAccount = new Map<string, Auth>();
  private readonly bySession = new Map<string, Auth>();

  constructor(private readonly windowMs: number) {}

  /** A security event; only PJSIP's SuccessfulAuth is kept. Never throws. */
  note(name: string, evt: AmiObject, now: number): void {
    if (name !== 'successfulauth') return;
    if ((textField(evt, 'service') ?? '').trim().toUpperCase() !== 'PJSIP') return;
    const account = textField(evt, 'accountid')?.trim();
    const remote = textField(evt, 'remoteaddress');
    const source = remote === undefined ? undefined : parseSecurityAddress(remote);
    if (!account || account.length > 256 || !source) return;
    const auth = { source, at: now };
    putNewest(this.byAccount, account.toLowerCase(), auth, MAX_REMEMBERED_AUTHS);
    const session = textField(evt, 'sessionid')?.trim();
    if (session && session.length <= 256) putNewest(this.bySession, session, auth, MAX_REMEMBERED_AUTHS);
  }

  /**
   * The source of the last successful PJSIP authentication of one of `accounts`, if within the window. `take`
   * uses it up: one REGISTER stores one contact, so a second new contact without its own SuccessfulAuth is not
   * credited with this one's source.
   */
  forAccount(accounts: readonly string[], now: number, take = false): SourceAddress | undefined {
    let best: { key: string; auth: Auth } | undefined;
    for (const a of accounts) {
      const key = a.toLowerCase();
      const auth = this.byAccount.get(key);
      if (auth && now - auth.at <= this.windowMs && (best === undefined || auth.at > best.auth.at))
        best = { key, auth };
    }
    if (best && take) this.byAccount.delete(best.key);
    return best?.auth.source;
  }

  /** The source that authenticated the REGISTER with this Call-ID (a listing's CallId), at any time. */
  forSession(callId: string | undefined): SourceAddress | undefined {
    return callId ? this.bySession.get(callId)?.source : undefined;
  }
}
