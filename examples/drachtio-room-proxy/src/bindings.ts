/** The registrar's location service: room user → where it registered from, until it expires. Bounded. */
export interface Binding {
  user: string;
  /** Contact URI as registered (`sip:room-a@192.0.2.10:5060`). */
  contact: string;
  source: { ip: string; port?: number };
  expiresAt: number;
}

export class Bindings {
  private readonly map = new Map<string, Binding>();

  constructor(private readonly maxBindings: number) {}

  /** Only accounts can register, so the map never holds more entries than there are accounts (and the cap). */
  set(binding: Binding): boolean {
    if (!this.map.has(binding.user) && this.map.size >= this.maxBindings) return false;
    this.map.set(binding.user, binding);
    return true;
  }

  get(user: string, now = Date.now()): Binding | undefined {
    const b = this.map.get(user);
    if (b === undefined) return undefined;
    if (b.expiresAt <= now) {
      this.map.delete(user);
      return undefined;
    }
    return b;
  }

  delete(user: string): boolean {
    return this.map.delete(user);
  }

  get size(): number {
    return this.map.size;
  }
}
