// Who is signed in (GET /v1/me with the key from sessionStorage), shared by the navigation and pages.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { apiJson, session } from './api';

import type { Me } from '../../contracts/account';

interface SessionValue {
  me: Me | null;
  /** Still checking a key found in sessionStorage. */
  checking: boolean;
  signIn: (key: string) => Promise<Me>;
  signOut: () => void;
}

const SessionContext = createContext<SessionValue>({ me: null, checking: false, signIn: () => Promise.reject(new Error('no session')), signOut: () => undefined });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => session.key() !== null);
  useEffect(() => {
    if (!session.key()) return;
    apiJson<Me>('/v1/me')
      .then(setMe, () => session.clear())
      .finally(() => setChecking(false));
  }, []);
  const signIn = useCallback(async (key: string) => {
    session.set(key);
    try {
      const who = await apiJson<Me>('/v1/me');
      setMe(who);
      return who;
    } catch (err) {
      session.clear();
      throw err;
    }
  }, []);
  const signOut = useCallback(() => {
    session.clear();
    setMe(null);
  }, []);
  return <SessionContext.Provider value={{ me, checking, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export const useSession = () => useContext(SessionContext);
export const isLab = (me: Me | null) => me?.role === 'ADMIN' || me?.role === 'CERTIFIER';
