import { Type, type Static } from 'typebox';
import { DateTime, Role, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const Me = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: Role,
  permissions: Type.Array(Type.String()),
  canSeeNumbers: Type.Boolean(),
});
export type Me = Static<typeof Me>;

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    organisation: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'only needed when the same username and password fit accounts in several organisations',
      }),
    ),
  },
  strict,
);
export const LoginResult = Type.Object({ token: Type.String(), expiresAt: DateTime, user: Me });
export type LoginResult = Static<typeof LoginResult>;

export const login = operation(
  'POST',
  '/auth/login',
  {
    operationId: 'login',
    tags: ['auth'],
    summary: 'Log in; returns a bearer token',
    description:
      'Failed attempts are throttled per account and per client address (429 with Retry-After); successful logins are not counted.',
    security: [],
    body: LoginBody,
    response: { 200: LoginResult },
  },
  [401, 429],
);

export const logout = operation('POST', '/auth/logout', {
  operationId: 'logout',
  tags: ['auth'],
  summary: 'Revoke the current session (its live connections close too)',
  response: { 204: Type.Null({ description: 'logged out' }) },
});

export const me = operation('GET', '/auth/me', {
  operationId: 'getMe',
  tags: ['auth'],
  summary: 'The logged-in user',
  response: { 200: Me },
});
