// Reads a server-sent event stream with fetch, so the API key goes in the Authorization header
// (EventSource cannot set headers, and a key in the URL would end up in logs and history).
// Reconnects with a growing delay; each connection starts with a `snapshot`, so nothing is lost.
import { authHeaders } from './api';

/** One event of a stream whose events (by name) carry the data in Events, as a union on the name. */
export type SseEvent<Events> = { [K in keyof Events]: { event: K; data: Events[K] } }[keyof Events];

export interface SseHandlers<Events> {
  onEvent(message: SseEvent<Events>): void;
  onState?(state: 'connecting' | 'open' | 'retrying', detail?: string): void;
}

/** Events (the contract's map of event name to data, e.g. JobStreamEvents) types what onEvent receives; events of other names are skipped. */
export function openEventStream<Events extends object>(path: string, events: readonly (keyof Events & string)[], handlers: SseHandlers<Events>): () => void {
  const controller = new AbortController();
  let delay = 1000;
  const run = async () => {
    while (!controller.signal.aborted) {
      handlers.onState?.('connecting');
      try {
        const res = await fetch(path, { headers: { ...authHeaders(), accept: 'text/event-stream' }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`${res.status} ${res.statusText}`);
        handlers.onState?.('open');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            // The server serialises each event through its contract schema; the dashboard bundles no schema
            // library to check it again, so this is where the stream's data takes the contract's type.
            if (data.length > 0 && (events as readonly string[]).includes(event)) handlers.onEvent({ event, data: JSON.parse(data.join('\n')) as unknown } as SseEvent<Events>);
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        handlers.onState?.('retrying', (err as Error).message);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return () => controller.abort();
}
