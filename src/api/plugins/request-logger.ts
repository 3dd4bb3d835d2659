// Fastify gives every request a child logger bound to its request id. Building a pino child runs the
// bindings through the redaction (our wildcard paths make that apply to every key), which cost more
// CPU than the rest of a cached report read's logging: docs/PERFORMANCE.md. Most requests log
// nothing at `warn`, so the child is built the first time the request logs at an enabled level.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LogFn, Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

class RequestLogger implements FastifyBaseLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.opts.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  /** The real child logger, built on first use. */
  logger(): Logger {
    return (this.#child ??= this.parent.child(this.bindings, this.opts));
  }

  isLevelEnabled(level: string): boolean {
    const current = this.level;
    if (current === 'silent') return false;
    const values = this.parent.levels.values;
    return (values[level] ?? Infinity) >= (values[current] ?? Infinity);
  }

  // The level methods are on the prototype (below), so a request's logger allocates no closures.
  declare readonly fatal: LogFn;
  declare readonly error: LogFn;
  declare readonly warn: LogFn;
  declare readonly info: LogFn;
  declare readonly debug: LogFn;
  declare readonly trace: LogFn;
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(RequestLogger.prototype, level, {
    value: function (this: RequestLogger, ...args: Parameters<LogFn>) {
      if (this.isLevelEnabled(level)) this.logger()[level](...args);
    },
  });
}

/** fastify's `childLoggerFactory`: the request's logger, built when it first logs something. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, opts);
}
