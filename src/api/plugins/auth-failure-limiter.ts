// Slows down credential guessing: a client IP that fails authentication too often in a minute gets
// 429 until the minute is over. In memory per replica: with N replicas an attacker gets N times the
// budget, which still turns a 192-bit key search into nothing, while a real user is never slowed down.
import { AppError } from '../../lib/errors.js';

const WINDOW_MS = 60_000;

export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; windowStart: number }>();

  constructor(private readonly limit: number) {}

  /** Throws 429 when `ip` used up its failures for the current window. */
  check(ip: string, now = Date.now()): void {
    const entry = this.failures.get(ip);
    if (!entry || now - entry.windowStart >= WINDOW_MS) return;
    if (entry.count >= this.limit) {
      const retryAfterS = Math.ceil((entry.windowStart + WINDOW_MS - now) / 1000);
      throw new AppError('auth.too_many_failures', `Too many failed authentications from this address; retry in ${retryAfterS} s.`, { retryAfterSeconds: retryAfterS });
    }
  }

  recordFailure(ip: string, now = Date.now()): void {
    const entry = this.failures.get(ip);
    if (!entry || now - entry.windowStart >= WINDOW_MS) this.failures.set(ip, { count: 1, windowStart: now });
    else entry.count += 1;
    // Bounded memory under a spray of addresses: drop expired windows once the map grows.
    if (this.failures.size > 10_000) for (const [key, e] of this.failures) if (now - e.windowStart >= WINDOW_MS) this.failures.delete(key);
  }
}
