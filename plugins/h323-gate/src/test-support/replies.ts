import { decodeH323UserInformation, decodeQ931 } from '@ghostguard/core/h323';

/** What a test reads back from one of the gate's answers (a TPKT payload), decoded by the core's decoders. */
export interface DecodedReply {
  messageName: string | undefined;
  callReference: number;
  /** Flag set: sent by the side that did not originate the call reference (the called side). */
  fromCalledSide: boolean;
  cause: number | undefined;
  body: string | undefined;
  releaseReason: string | undefined;
  callIdentifier: string | undefined;
  protocolVersion: number | undefined;
}

export function decodeReply(payload: Uint8Array): DecodedReply {
  const q = decodeQ931(payload);
  const uu = q.userUser ? decodeH323UserInformation(q.userUser.data) : undefined;
  return {
    messageName: q.messageName,
    callReference: q.callReference,
    fromCalledSide: q.callReferenceFlag,
    cause: q.cause?.value,
    body: uu?.body,
    releaseReason: uu?.releaseReason,
    callIdentifier: uu?.callIdentifier,
    protocolVersion: uu?.protocolVersion,
  };
}

/** The recorded ooh323 SETUP's call reference, callIdentifier and H.225.0 version (tshark: 0x002b, 6f6f6833-…, v4). */
export const OOH323_SETUP_IDS = {
  callReference: 0x2b,
  callIdentifier: '6f6f68333233632df438a917c83f003c',
  protocolVersion: 4,
} as const;
