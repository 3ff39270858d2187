import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { auth } from '@outdial/contracts';
import { call, getToken, setToken, setUnauthenticatedHandler } from './api/client.ts';

export type Me = auth.Me;

interface AuthState {
  me: Me | null;
  loading: boolean;
  login: (username: string, password: string, organisation?: string) => Promise<Me>;
  logout: () => Promise<void>;
  can: (permission: string) => boolean;
}

const Ctx = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(() => getToken() !== null);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setToken(null);
      setMe(null);
    });
    if (!getToken()) return;
    call(auth.me)
      .then(setMe)
      .catch(() => setToken(null))
      .finally(() => setLoading(false));
  }, []);

  const login = useCallback(async (username: string, password: string, organisation?: string) => {
    const r = await call(auth.login, { body: { username, password, ...(organisation ? { organisation } : {}) } });
    setToken(r.token);
    setMe(r.user);
    return r.user;
  }, []);

  const logout = useCallback(async () => {
    await call(auth.logout).catch(() => undefined);
    setToken(null);
    setMe(null);
  }, []);

  const value = useMemo<AuthState>(
    () => ({ me, loading, login, logout, can: (p) => me?.permissions.includes(p) ?? false }),
    [me, loading, login, logout],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): AuthState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** Where each role lands after signing in. */
export function homeOf(me: Me): string {
  if (me.role === 'agent') return '/workstation';
  if (me.role === 'admin') return '/admin/projects';
  return '/wallboard';
}
