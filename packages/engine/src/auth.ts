import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Repositories, Role, SessionPrincipal } from '@outdial/db';
import { can, type Permission } from '@outdial/domain/access';
import { AppError, forbidden } from './errors.ts';
import type { Clock, PasswordHasher } from './ports.ts';

export type Principal = SessionPrincipal;

/** argon2id with the library's defaults (m=19 MiB, t=2), the OWASP baseline. */
export const argon2Hasher: PasswordHasher = {
  hash: (password) => argon2Hash(password),
  verify: async (hash, password) => {
    try {
      return await argon2Verify(hash, password);
    } catch {
      // A stored hash the library cannot read (corrupt, another scheme) verifies nothing.
      return false;
    }
  },
};

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

// Verifying against a real hash even for unknown users keeps the response time from
// telling an attacker which usernames exist.
let dummyHash: Promise<string> | undefined;

export class AuthService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly sessionTtlMs: number,
  ) {}

  async login(
    username: string,
    password: string,
    meta: { ip?: string | undefined; userAgent?: string | undefined } = {},
  ): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
    const user = await this.repos.users.findByUsername(username);
    if (!user || user.disabled) {
      dummyHash ??= this.hasher.hash('not-a-real-password');
      await this.hasher.verify(await dummyHash, password);
      await this.repos.audit.append({
        orgId: user?.orgId ?? null,
        actorUserId: null,
        action: 'auth.login_failed',
        details: { username },
        ip: meta.ip,
      });
      throw new AppError('invalid_credentials', 'wrong username or password');
    }
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      await this.repos.audit.append({
        orgId: user.orgId,
        actorUserId: user.id,
        action: 'auth.login_failed',
        details: { username },
        ip: meta.ip,
      });
      throw new AppError('invalid_credentials', 'wrong username or password');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + this.sessionTtlMs);
    const sessionId = await this.repos.sessions.create({
      userId: user.id,
      tokenHash: hashToken(token),
      expiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    await this.repos.audit.append({
      orgId: user.orgId,
      actorUserId: user.id,
      action: 'auth.login',
      subjectType: 'session',
      subjectId: sessionId,
      ip: meta.ip,
    });
    return {
      token,
      expiresAt,
      principal: {
        sessionId,
        userId: user.id,
        orgId: user.orgId,
        username: user.username,
        displayName: user.displayName,
        role: user.role,
        expiresAt,
      },
    };
  }

  async authenticate(token: string): Promise<Principal> {
    const p = await this.repos.sessions.findActive(hashToken(token), this.clock.now());
    if (!p) throw new AppError('unauthenticated', 'the session token is missing, expired or revoked');
    return p;
  }

  async logout(p: Principal): Promise<void> {
    await this.repos.sessions.revoke(p.sessionId, this.clock.now());
    await this.repos.audit.append({
      orgId: p.orgId,
      actorUserId: p.userId,
      action: 'auth.logout',
      subjectType: 'session',
      subjectId: p.sessionId,
    });
  }
}

export function assertCan(p: Principal, permission: Permission): void {
  if (!can(p.role, permission)) throw forbidden(`role "${p.role}" lacks permission "${permission}"`);
}

export function isRole(v: string): v is Role {
  return v === 'admin' || v === 'supervisor' || v === 'qa' || v === 'agent';
}
