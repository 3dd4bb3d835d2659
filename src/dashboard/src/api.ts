// Talking to the API from the browser. The API key lives in sessionStorage (gone when the tab closes)
// and travels only in the Authorization header, never in a URL.
const KEY_STORAGE = 'npubench.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** An RFC 9457 problem from the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const key = session.key();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export async function apiFetch(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.auth !== false) for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiError(0, 'network', 'The API cannot be reached. Check that the server is running, then retry.');
  }
  if (!res.ok) {
    let code = `http.${res.status}`;
    let message = `${res.status} ${res.statusText}`;
    try {
      const problem = (await res.json()) as { code?: string; detail?: string; title?: string };
      code = problem.code ?? code;
      message = problem.detail ?? problem.title ?? message;
    } catch {
      // not a problem document
    }
    throw new ApiError(res.status, code, message);
  }
  return res;
}

export async function apiJson<T>(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<T> {
  return (await apiFetch(path, init)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return apiJson<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
