/// <reference path="./drachtio-srf-gaps.d.ts" />
import type Srf from 'drachtio-srf';

/**
 * An Srf typed with the members it has at run time but its bundled declaration lacks (per-method registration,
 * `app`): see drachtio-srf-gaps.d.ts. A type-only view, the object is returned as is.
 */
export function withMethods(srf: Srf): Srf & Srf.Methods {
  return srf as Srf & Srf.Methods;
}
