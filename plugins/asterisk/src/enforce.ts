import type { Action } from '@ghostguard/core';
import type { CheckRequest } from './check-event.js';
import type { ResolvedAsteriskOptions } from './options.js';

/** The AMI action that carries out `action` on the checked channel. */
export function actionFor(
  action: Action,
  req: Pick<CheckRequest, 'channel' | 'tech'>,
  o: ResolvedAsteriskOptions,
): Record<string, string> {
  switch (action) {
    case 'allow':
      return { action: 'Setvar', channel: req.channel, variable: o.verdictVariable, value: 'allow' };
    case 'reject':
      return { action: 'Hangup', channel: req.channel, cause: String(o.rejectCause[req.tech]) };
    case 'drop':
      return { action: 'Hangup', channel: req.channel, cause: String(o.dropCause[req.tech]) };
    case 'tarpit':
      return {
        action: 'Redirect',
        channel: req.channel,
        context: o.tarpit.context,
        exten: o.tarpit.exten,
        priority: String(o.tarpit.priority),
      };
  }
}

/** Asterisk's two answers for a channel that is gone: Setvar/Hangup say one, Redirect the other (recorded). */
export function isChannelGone(message: string): boolean {
  return message === 'No such channel' || message.startsWith('Channel does not exist');
}
