/**
 * What mod_event_socket writes, byte for byte as recorded from FreeSWITCH 1.10.12
 * (`recordings/freeswitch-1.10.12/esl-raw-samples.txt`): "\n" line endings, a blank line after the headers, Content-Length
 * only where a body follows.
 */
import { fsUrlEncode } from './url-encode.js';

/** One header as FreeSWITCH holds it (decoded); the wire form is URL-encoded where FreeSWITCH encodes it. */
export type EslHeader = readonly [name: string, value: string];

export const GOODBYE_BODY = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export function authRequest(): string {
  return 'Content-Type: auth/request\n\n';
}

export function commandReply(replyText: string): string {
  return `Content-Type: command/reply\nReply-Text: ${replyText}\n\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

/** Serialized event headers as in a plain event body or CHANNEL_DATA: `Name: url-encoded value` lines. */
export function serializeHeaders(headers: readonly EslHeader[]): string {
  let out = '';
  for (const [name, value] of headers) out += `${name}: ${fsUrlEncode(value)}\n`;
  return out;
}

/** The outbound socket's reply to `connect`: CHANNEL_DATA as a command/reply, no Content-Length. */
export function channelDataReply(headers: readonly EslHeader[], mode: { async: boolean; full: boolean }): string {
  return (
    serializeHeaders(headers) +
    'Content-Type: command/reply\nReply-Text: %2BOK%0A\n' +
    `Socket-Mode: ${mode.async ? 'async' : 'static'}\nControl: ${mode.full ? 'full' : 'single-channel'}\n\n`
  );
}

export function plainEvent(headers: readonly EslHeader[]): string {
  const body = `${serializeHeaders(headers)}\n`;
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
}

export function jsonEvent(headers: readonly EslHeader[]): string {
  const obj: Record<string, string> = {};
  for (const [name, value] of headers) obj[name] = value;
  const body = JSON.stringify(obj);
  return `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n${body}`;
}

/** Sent when the channel hangs up on a lingering socket: FreeSWITCH then waits (`-1`) for `exit`. */
export function lingerNotice(uuid: string, channelName: string): string {
  return (
    'Content-Type: text/disconnect-notice\n' +
    `Controlled-Session-UUID: ${uuid}\nContent-Disposition: linger\nChannel-Name: ${channelName}\n` +
    'Linger-Time: -1\nContent-Length: 0\n\n'
  );
}

/** Sent before FreeSWITCH closes an outbound socket (after `exit`, or a hangup without linger). */
export function disconnectNotice(uuid: string): string {
  return (
    'Content-Type: text/disconnect-notice\n' +
    `Controlled-Session-UUID: ${uuid}\nContent-Disposition: disconnect\n` +
    `Content-Length: ${Buffer.byteLength(GOODBYE_BODY)}\n\n${GOODBYE_BODY}`
  );
}

/** Sent by the inbound socket after `-ERR invalid`, before it closes. */
export function inboundGoodbye(): string {
  return `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(GOODBYE_BODY)}\n\n${GOODBYE_BODY}`;
}
