import { Type, type Static } from 'typebox';
import { DateTime, IdParams, pageQuery, paged, Role, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const User = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: DateTime,
});
export type User = Static<typeof User>;

const Password = Type.String({
  minLength: 8,
  maxLength: 1024,
  description: 'at least 8 characters and not a common or easily guessed password (the error says why)',
});

export const listUsers = operation(
  'GET',
  '/users',
  {
    operationId: 'listUsers',
    tags: ['users'],
    summary: 'Users of the organisation (admin)',
    querystring: pageQuery({ role: Type.Optional(Role) }),
    response: { 200: paged(User) },
  },
  [403],
);

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ minLength: 2, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ maxLength: 100 })),
    role: Role,
    password: Password,
  },
  strict,
);
export const createUser = operation(
  'POST',
  '/users',
  {
    operationId: 'createUser',
    tags: ['users'],
    summary: 'Create a user (admin)',
    body: CreateUserBody,
    response: { 201: User },
  },
  [403, 409],
);

export const UpdateUserBody = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 100 })),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  strict,
);
export const updateUser = operation(
  'PATCH',
  '/users/:id',
  {
    operationId: 'updateUser',
    tags: ['users'],
    summary:
      "Change a user: name, role, disable, password. Disabling, a role change or a new password ends the user's sessions and closes their live connections",
    params: IdParams,
    body: UpdateUserBody,
    response: { 200: User },
  },
  [403, 404],
);
