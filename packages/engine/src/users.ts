import type { Repositories, Role, UserRow } from './ports/index.ts';
import { AppError, invalid, isUniqueViolation, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';
import type { Clock, PasswordHasher } from './ports/index.ts';
import type { EventBus, SessionsEnded } from './dialer/events.ts';
import { checkNewPassword } from './password-policy.ts';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

export class UsersService {
  constructor(
    private readonly repos: Repositories,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly events: EventBus,
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
    checkNewPassword(u.password, [u.username, u.displayName ?? '']);
    const passwordHash = await this.hasher.hash(u.password);
    try {
      return await this.repos.transaction(async (tx) => {
        const row = await tx.users.create({
          orgId,
          username: u.username,
          displayName: u.displayName ?? u.username,
          role: u.role,
          passwordHash,
        });
        await tx.audit.append({
          orgId,
          actorUserId: actor?.userId ?? null,
          action: 'user.created',
          subjectType: 'user',
          subjectId: row.id,
          details: { username: row.username, role: row.role },
        });
        return row;
      });
    } catch (err) {
      // Usernames are unique per organisation: this names a user of the caller's own organisation.
      if (isUniqueViolation(err))
        throw new AppError('conflict', `the username "${u.username}" is taken in your organisation`, {
          field: 'username',
        });
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
    if (id === actor.userId && (patch.disabled === true || (patch.role && patch.role !== 'admin'))) {
      throw invalid('you cannot disable yourself or take away your own admin role');
    }
    const before = await this.repos.users.get(actor.orgId, id);
    if (!before) throw notFound('user');
    if (patch.password !== undefined) checkNewPassword(patch.password, [before.username, before.displayName]);
    const passwordHash = patch.password !== undefined ? await this.hasher.hash(patch.password) : undefined;
    // Why the user's sessions end now, if they do: a disabled user, a new role (the sessions
    // carry the old one) or a new password leave nothing open.
    const ended: SessionsEnded['reason'] | null =
      patch.disabled === true && !before.disabled
        ? 'disabled'
        : patch.role !== undefined && patch.role !== before.role
          ? 'role_changed'
          : patch.password !== undefined
            ? 'password_changed'
            : null;
    const now = this.clock.now();
    const row = await this.repos.transaction(async (tx) => {
      const updated = await tx.users.update(actor.orgId, id, {
        displayName: patch.displayName,
        role: patch.role,
        disabled: patch.disabled,
        passwordHash,
      });
      if (!updated) throw notFound('user');
      if (ended) await tx.sessions.revokeAllForUser(id, now);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'user.updated',
        subjectType: 'user',
        subjectId: id,
        details: {
          ...patch,
          password: patch.password !== undefined ? '(changed)' : undefined,
          ...(ended ? { sessionsEnded: ended } : {}),
        },
      });
      return updated;
    });
    if (ended)
      this.events.publish({ type: 'SessionsEnded', at: now.getTime(), userId: id, sessionId: null, reason: ended });
    return row;
  }

  async list(actor: Principal, q: { role?: Role | undefined; limit: number; offset: number }) {
    assertCan(actor, 'users:manage');
    return this.repos.users.list(actor.orgId, q);
  }
}
