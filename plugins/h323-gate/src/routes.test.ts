import { h323Attempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { pickRoute } from './routes.js';

const roomA = { host: '10.0.0.1', port: 1720 };
const roomB = { host: '10.0.0.2', port: 1720 };
const fallback = { host: '10.0.0.9', port: 1720 };

describe('pickRoute', () => {
  const routes = {
    byAlias: new Map([
      ['room-a', roomA],
      ['5551234', roomB],
    ]),
    default: fallback,
  };

  it('takes the first destination alias that names an upstream', () => {
    const a = h323Attempt({
      h323: {
        destinationAliases: [
          { type: 'h323-ID', value: 'nobody' },
          { type: 'dialedDigits', value: '5551234' },
          { type: 'h323-ID', value: 'room-a' },
        ],
      },
    });
    expect(pickRoute(a, routes)).toEqual({ upstream: roomB, alias: '5551234' });
  });

  it('then the Called Party Number, then the target', () => {
    const byNumber = h323Attempt({ h323: { destinationAliases: [], calledNumber: '5551234' } });
    expect(pickRoute(byNumber, routes)).toEqual({ upstream: roomB, alias: '5551234' });
    const byTarget = h323Attempt({ target: { user: 'room-a' }, h323: { destinationAliases: [] } });
    expect(pickRoute(byTarget, routes)).toEqual({ upstream: roomA, alias: 'room-a' });
  });

  it('falls back to the default upstream, or to none', () => {
    const a = h323Attempt({ target: { user: 'x' }, h323: { destinationAliases: [{ type: 'h323-ID', value: 'x' }] } });
    expect(pickRoute(a, routes)).toEqual({ upstream: fallback, alias: undefined });
    expect(pickRoute(a, { byAlias: routes.byAlias, default: undefined })).toBeUndefined();
    expect(pickRoute(undefined, routes)).toEqual({ upstream: fallback, alias: undefined });
  });
});
