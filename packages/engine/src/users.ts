import type { Repositories, Role, UserRow } from '@outdial/db';
import { AppError, invalid, isUniqueViolation, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';
import type { Clock, PasswordHasher } from './ports.ts';

export const MIN_PASSWORD_LENGTH = 8;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw invalid(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
}

export class UsersService {
  constructor(
    private readonly repos: Repositories,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  /** Also used by the CLI and the demo seed, with `actor` null (the operator at the console). */
  async create(
    actor: Principal | null,
    orgId: string,
    u: { username: string; displayName?: string | undefined; role: Role; password: string },
  ): Promise<UserRow> {
    if (actor) assertCan(actor, 'users:manage');
    if (!USERNAME.test(u.username))
      throw invalid('a username has 2–64 letters, digits, dots, dashes or underscores', { field: 'username' });
    checkNewPassword(u.password);
    try {
      const row = await this.repos.users.create({
        orgId,
        username: u.username,
        displayName: u.displayName ?? u.username,
        role: u.role,
        passwordHash: await this.hasher.hash(u.password),
      });
      await this.repos.audit.append({
        orgId,
        actorUserId: actor?.userId ?? null,
        action: 'user.created',
        subjectType: 'user',
        subjectId: row.id,
        details: { username: row.username, role: row.role },
      });
      return row;
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('conflict', `the username "${u.username}" is taken`, { field: 'username' });
      throw err;
    }
  }

  async update(
    actor: Principal,
    id: string,
    patch: {
      displayName?: string | undefined;
      role?: Role | undefined;
      disabled?: boolean | undefined;
      password?: string | undefined;
    },
  ): Promise<UserRow> {
    assertCan(actor, 'users:manage');
    if (patch.password !== undefined) checkNewPassword(patch.password);
    if (id === actor.userId && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
      throw invalid('you cannot disable yourself or take away your own admin role');
    }
    const row = await this.repos.users.update(actor.orgId, id, {
      displayName: patch.displayName,
      role: patch.role,
      disabled: patch.disabled,
      passwordHash: patch.password !== undefined ? await this.hasher.hash(patch.password) : undefined,
    });
    if (!row) throw notFound('user');
    // A disabled user or a changed password ends every open session at once.
    if (patch.disabled || patch.password !== undefined)
      await this.repos.sessions.revokeAllForUser(id, this.clock.now());
    await this.repos.audit.append({
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: 'user.updated',
      subjectType: 'user',
      subjectId: id,
      details: { ...patch, password: patch.password !== undefined ? '(changed)' : undefined },
    });
    return row;
  }

  async list(actor: Principal, q: { role?: Role | undefined; limit: number; offset: number }) {
    assertCan(actor, 'users:manage');
    return this.repos.users.list(actor.orgId, q);
  }
}
