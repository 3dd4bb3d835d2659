// Splits a byte stream into lines with a hard length limit, for both ends of the runner protocol. A peer
// that never sends a newline must not make the other side buffer without bound.

export interface LineHandlers {
  onLine(line: string): void;
  /** Called once per oversized line; the rest of that line, up to its newline, is dropped. */
  onOversizedLine(): void;
}

const NEWLINE = 0x0a;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skippingOversizedLine = false;

  /** `maxLineBytes` counts the newline. */
  constructor(
    private readonly maxLineBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      // The usual case, a whole line inside one chunk: decoded straight from it, without a copy.
      if (newline !== -1 && this.pendingBytes === 0 && !this.skippingOversizedLine && end - start + 1 <= this.maxLineBytes) {
        if (end > start) this.handlers.onLine(chunk.toString('utf8', start, end));
        start = newline + 1;
        continue;
      }
      if (!this.skippingOversizedLine) {
        this.pending.push(chunk.subarray(start, end));
        this.pendingBytes += end - start;
        if (this.pendingBytes + 1 > this.maxLineBytes) {
          this.dropPending();
          this.skippingOversizedLine = true;
          this.handlers.onOversizedLine();
        }
      }
      if (newline === -1) return;
      if (this.skippingOversizedLine) this.skippingOversizedLine = false;
      else if (this.pendingBytes > 0) this.emitPending(); // blank lines carry nothing; skipping them forgives a stray print()
      start = newline + 1;
    }
  }

  private emitPending(): void {
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.dropPending();
    this.handlers.onLine(line);
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
