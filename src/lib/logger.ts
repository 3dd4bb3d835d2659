import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// Structured JSON logs. Secrets never reach a log line: auth headers and tokens are redacted at the
// logger so a careless `log.info(req)` cannot leak them.
export function createLogger(level: LoggerOptions['level'] = 'info', name = 'npubench'): Logger {
  return pino({
    name,
    level,
    redact: {
      // `*.headers`: plugins log request headers under their own keys (@fastify/multipart logs
      // `busboyOptions.headers` at trace level, Authorization included).
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.headers.authorization',
        '*.*.headers.authorization',
        'headers.cookie',
        '*.headers.cookie',
        '*.token',
        '*.apiKey',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
