import {
  buildRequest,
  digestAuthorization,
  headerValue,
  type ReceivedSip,
  SipUdpAgent,
  sdpOffer,
  waitUntil,
} from '@ghostguard/drachtio/testing';

/** Distinguishes the REGISTER transactions of one process (two in the same millisecond must not share a Call-ID). */
let registrations = 0;

export interface RegisterOptions {
  proxyPort: number;
  /** Answers the 401 with these credentials; without it, the first final answer is returned (no credentials sent). */
  password?: string;
  domain: string;
  expires?: number;
  /** Contact URI bound instead of this agent's own address (a third-party binding, as svwar sends). */
  contact?: string;
  /** How long to wait for each answer (default 10 s). */
  timeoutMs?: number;
}

/**
 * A scripted room system: registers with digest credentials through the proxy, and answers INVITEs that reach
 * it (180, then 200 with SDP), recording them. Loopback only.
 */
export class ScriptedRoom {
  readonly invites: ReceivedSip[] = [];
  private constructor(
    readonly agent: SipUdpAgent,
    readonly user: string,
  ) {}

  static async open(user: string, address = '127.0.0.1'): Promise<ScriptedRoom> {
    const room = new ScriptedRoom(await SipUdpAgent.open(address), user);
    room.answerInvites();
    return room;
  }

  get contact(): string {
    return `sip:${this.user}@${this.agent.address}:${this.agent.port}`;
  }

  /** REGISTER, answer the 401 with credentials (when `password` is given); resolves with the final status. */
  async register(o: RegisterOptions): Promise<number> {
    const callId = `reg-${this.user}-${Date.now()}-${++registrations}@${this.agent.address}`;
    const aor = `sip:${this.user}@${o.domain}`;
    const base = {
      method: 'REGISTER',
      uri: `sip:${o.domain}`,
      from: { address: this.agent.address, port: this.agent.port },
      fromUri: aor,
      toUri: aor,
      callId,
      headers: [['Expires', String(o.expires ?? 600)]] as Array<[string, string]>,
    };
    const build = (spec: Parameters<typeof buildRequest>[0]): string => {
      const text = buildRequest(spec);
      return o.contact === undefined ? text : text.replace(/^Contact: .*$/m, `Contact: <${o.contact}>`);
    };
    this.agent.send(build({ ...base, cseq: 1 }), o.proxyPort);
    await waitUntil(
      () => this.agent.responsesFor(callId).some((r) => (r.status ?? 0) >= 200),
      o.timeoutMs ?? 10_000,
      'the REGISTER challenge',
    );
    const first = this.agent.responsesFor(callId).find((r) => (r.status ?? 0) >= 200)!;
    if (first.status !== 401 || o.password === undefined) return first.status!;
    const challenge = headerValue(first.text, 'www-authenticate') ?? '';
    const authorization = digestAuthorization({
      challenge,
      username: this.user,
      password: o.password,
      method: 'REGISTER',
      uri: base.uri,
    });
    this.agent.send(
      build({ ...base, cseq: 2, headers: [...base.headers, ['Authorization', authorization]] }),
      o.proxyPort,
    );
    await waitUntil(
      () => this.agent.responsesFor(callId).filter((r) => (r.status ?? 0) >= 200).length >= 2,
      o.timeoutMs ?? 10_000,
      'the REGISTER answer',
    );
    return this.agent.responsesFor(callId).filter((r) => (r.status ?? 0) >= 200)[1]!.status!;
  }

  private answerInvites(): void {
    const seen = new Set<string>();
    const timer = setInterval(() => {
      for (const m of this.agent.received) {
        if (!m.firstLine.startsWith('INVITE ') || seen.has(m.text)) continue;
        seen.add(m.text);
        this.invites.push(m);
        const reply = (status: string, body = ''): string => {
          const head = m.text.split('\r\n\r\n', 1)[0]!.split('\r\n').slice(1);
          const keep = head.filter((l) => /^(via|from|call-id|cseq)\s*:/i.test(l));
          const to = `To: ${headerValue(m.text, 'to')};tag=room${this.agent.port}`;
          const lines = [
            `SIP/2.0 ${status}`,
            ...keep,
            to,
            `Contact: <${this.contact}>`,
            'User-Agent: Cisco/CE (RoomKit) ce11.5',
          ];
          if (body) lines.push('Content-Type: application/sdp');
          lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
          return `${lines.join('\r\n')}\r\n\r\n${body}`;
        };
        this.agent.send(reply('180 Ringing'), m.from.port, m.from.address);
        this.agent.send(reply('200 OK', sdpOffer(this.agent.address)), m.from.port, m.from.address);
      }
    }, 5);
    timer.unref();
    this.stop = () => clearInterval(timer);
  }

  private stop: () => void = () => {};

  async close(): Promise<void> {
    this.stop();
    await this.agent.close();
  }
}
