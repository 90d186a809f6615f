import type { CallAttempt, MediaOffer } from '../attempt.js';
import type { RoomKind } from '../config.js';
import type { Reason } from '../verdict.js';
import { type RuleWeights, resolveWeights } from './weights.js';

export const MEDIA_RULES = {
  /** An audio-only offer with nothing but phone codecs, to a video room system. */
  audioOnlyToVideoRoom: { id: 'media.audio-only-to-video-room', weight: 20 },
  /** An INVITE without SDP to a room from a caller nobody knows. */
  noOffer: { id: 'media.no-offer', weight: 10 },
} as const;

type MediaRule = keyof typeof MEDIA_RULES;

/**
 * Narrowband and wideband telephony codecs, and the events and comfort noise that ride with them: what a
 * phone, a PBX trunk or a SIP dialler offers (RFC 3551 names, lower-case). A room system or a bridge offers
 * video (H.264, H.265, VP8, AV1) and usually wideband audio (Opus, G.722.1, AAC-LD) besides.
 */
const PHONE_CODECS: ReadonlySet<string> = new Set([
  'pcmu',
  'pcma',
  'g729',
  'g729a',
  'g729b',
  'g723',
  'g726-32',
  'g726-40',
  'g726-24',
  'g726-16',
  'gsm',
  'ilbc',
  'g722',
  'speex',
  'telephone-event',
  'cn',
]);

/**
 * Media shape of an INVITE's offer (the adapter's summary of the SDP). Legitimate bridges and room systems
 * offer video and BFCP, so a video offer never scores; a phone offering G.711/G.729 to a video room is
 * normal enough (someone dialling in from a desk phone) to count only as one weak signal among others.
 */
export class MediaRules {
  private readonly w: Record<MediaRule, number | undefined>;

  constructor(weights: RuleWeights) {
    this.w = resolveWeights(MEDIA_RULES, weights);
  }

  /**
   * For a call to a target known to exist; `roomKind`: what it is (the room's own kind, else rooms.defaultKind).
   * `unknownCaller`: not a listed caller, no earned trust, not a room, not authenticated.
   */
  evaluate(a: CallAttempt, roomKind: RoomKind, unknownCaller: boolean, out: Reason[]): void {
    const media = a.media;
    if (media === undefined || a.method !== 'INVITE') return;
    if (!media.offered) {
      // Delayed offer is normal from call managers and trunks (Cisco CUCM): only an unknown caller counts.
      if (unknownCaller && this.w.noOffer !== undefined) {
        out.push({
          rule: MEDIA_RULES.noOffer.id,
          detail: 'INVITE without SDP from an unknown caller',
          weight: this.w.noOffer,
        });
      }
      return;
    }
    if (roomKind === 'video' && this.w.audioOnlyToVideoRoom !== undefined && isPhoneAudioOnly(media)) {
      out.push({
        rule: MEDIA_RULES.audioOnlyToVideoRoom.id,
        detail: `audio-only offer (${media.codecs.slice(0, 6).join(', ')}) to a video room system`,
        weight: this.w.audioOnlyToVideoRoom,
      });
    }
  }
}

/** Offers audio and nothing else, in phone codecs only. */
export function isPhoneAudioOnly(media: MediaOffer): boolean {
  if (media.kinds.length !== 1 || media.kinds[0] !== 'audio' || media.bfcp || media.codecs.length === 0) return false;
  for (const c of media.codecs) if (!PHONE_CODECS.has(c)) return false;
  return true;
}

/** Offers a video stream (the room systems' and bridges' shape). */
export function offersVideo(media: MediaOffer | undefined): boolean {
  return media?.offered === true && media.kinds.includes('video');
}
