/** drachtio-mw-digest-auth 0.3.3 ships no types: the part this example uses. */
declare module 'drachtio-mw-digest-auth' {
  type Next = (err?: unknown) => void;
  interface DigestAuthOptions {
    /** Realm of the challenge, or a function of the request. */
    realm?: string | ((req: unknown) => string);
    /** `(username, realm, callback(err, password))`: a null/undefined password means an unknown user (403). */
    passwordLookup: (
      username: string,
      realm: string,
      callback: (err: Error | null, password?: string | null) => void,
    ) => void;
    /** Challenge with 407 Proxy-Authenticate instead of 401 WWW-Authenticate. */
    proxy?: boolean;
    qop?: string;
  }
  function digestAuth(options: DigestAuthOptions): (req: unknown, res: unknown, next: Next) => void;
  export = digestAuth;
}
