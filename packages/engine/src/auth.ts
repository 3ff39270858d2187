import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Repositories, Role, SessionPrincipal } from './ports/index.ts';
import { can, type Permission } from '@outdial/domain/access';
import { AppError, forbidden } from './errors.ts';
import type { Clock, PasswordHasher } from './ports/index.ts';
import type { EventBus } from './dialer/events.ts';
import { LoginThrottle } from './login-throttle.ts';

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

export interface LoginRequest {
  username: string;
  password: string;
  /** Only needed when the same username and password fit accounts in several organisations. */
  organisation?: string | undefined;
}

export class AuthService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly sessionTtlMs: number,
    private readonly events: EventBus,
    /** Failed logins per minute allowed per account and per client before 429. */
    maxFailuresPerMinute = 10,
  ) {
    this.throttle = new LoginThrottle(maxFailuresPerMinute);
  }

  async login(
    req: LoginRequest,
    meta: { ip?: string | undefined; userAgent?: string | undefined } = {},
  ): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
    const keys = {
      account: req.organisation ? `${req.organisation}/${req.username}` : req.username,
      client: meta.ip,
    };
    const taken = this.throttle.take(keys, this.clock.now().getTime());
    if ('retryAfterMs' in taken) {
      const s = Math.ceil(taken.retryAfterMs / 1000);
      throw new AppError('rate_limited', `too many failed logins; try again in ${s} s`, { retryAfterSeconds: s });
    }
    // Usernames are unique per organisation. Exactly one password hash is checked per attempt
    // (a dummy one when the name is unknown or fits several organisations), so neither the
    // answer nor its time says whether, or in how many organisations, a username exists.
    const candidates = (await this.repos.users.findByUsername(req.username, req.organisation)).filter(
      (u) => !u.disabled,
    );
    const user = candidates.length === 1 ? candidates[0]! : undefined;
    let ok = false;
    if (user) ok = await this.hasher.verify(user.passwordHash, req.password);
    else {
      dummyHash ??= this.hasher.hash('not-a-real-password');
      await this.hasher.verify(await dummyHash, req.password);
    }
    if (!user || !ok) {
      await this.repos.audit.append({
        orgId: user?.orgId ?? null,
        actorUserId: null,
        action: 'auth.login_failed',
        details: { username: req.username, ...(candidates.length > 1 ? { ambiguous: true } : {}) },
        ip: meta.ip,
      });
      if (candidates.length > 1)
        throw new AppError(
          'invalid_credentials',
          'several organisations use this username: name yours in "organisation" and try again',
          { field: 'organisation' },
        );
      throw new AppError('invalid_credentials', 'wrong username or password');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + this.sessionTtlMs);
    const sessionId = await this.repos.transaction(async (tx) => {
      // Only while the password that was checked is still the user's and the user is enabled: a
      // password change or a disable that committed meanwhile leaves no session behind.
      const id = await tx.sessions.create({
        userId: user.id,
        tokenHash: hashToken(token),
        expiresAt,
        ip: meta.ip,
        userAgent: meta.userAgent,
        ifPasswordHash: user.passwordHash,
      });
      if (!id) throw new AppError('invalid_credentials', 'wrong username or password');
      await tx.audit.append({
        orgId: user.orgId,
        actorUserId: user.id,
        action: 'auth.login',
        subjectType: 'session',
        subjectId: id,
        ip: meta.ip,
      });
      return id;
    });
    this.throttle.succeeded(taken.slot);
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

  /** Ends this session; its live connections close at once. */
  async logout(p: Principal): Promise<void> {
    const now = this.clock.now();
    await this.repos.transaction(async (tx) => {
      await tx.sessions.revoke(p.sessionId, now);
      await tx.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'auth.logout',
        subjectType: 'session',
        subjectId: p.sessionId,
      });
    });
    this.events.publish({
      type: 'SessionsEnded',
      at: now.getTime(),
      userId: p.userId,
      sessionId: p.sessionId,
      reason: 'logged_out',
    });
  }
}

export function assertCan(p: Principal, permission: Permission): void {
  if (!can(p.role, permission)) throw forbidden(`role "${p.role}" lacks permission "${permission}"`);
}

export function isRole(v: string): v is Role {
  return v === 'admin' || v === 'supervisor' || v === 'qa' || v === 'agent';
}
