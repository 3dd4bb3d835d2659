import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// Structured JSON logs. Secrets never reach a log line: auth headers and tokens are redacted at the
// logger so a careless `log.info(req)` cannot leak them.
export function createLogger(level: LoggerOptions['level'] = 'info', name = 'npubench'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.token', '*.apiKey', '*.secret'],
      censor: '[redacted]',
    },
  });
}
