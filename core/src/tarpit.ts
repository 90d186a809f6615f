/**
 * A shared cap on concurrent tarpits. Adapters hold a slot while they keep a scanner's call ringing;
 * when no slot is free they drop instead (holding must stay cheap for us).
 */
export interface TarpitSlot {
  /** Idempotent: a slot is returned once however often it is released. */
  release(): void;
}

export class TarpitBudget {
  private active = 0;

  constructor(
    public maxConcurrent: number,
    /** How long an adapter holds a tarpitted call before its final answer, ms. */
    public holdFor: number,
  ) {}

  /** A config reload: slots in use stay held; a lower cap refuses new ones until enough are released. */
  resize(maxConcurrent: number, holdFor: number): void {
    this.maxConcurrent = maxConcurrent;
    this.holdFor = holdFor;
  }

  get inUse(): number {
    return this.active;
  }

  tryAcquire(): TarpitSlot | undefined {
    if (this.active >= this.maxConcurrent) return undefined;
    this.active++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.active--;
      },
    };
  }
}
