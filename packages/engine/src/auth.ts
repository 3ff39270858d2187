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
    const keys = { account: req.username, client: meta.ip };
    const wait = this.throttle.retryAfter(keys, this.clock.now().getTime());
    if (wait > 0)
      throw new AppError('rate_limited', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`, {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    const candidates = (await this.repos.users.findByUsername(req.username)).filter(
      (u) =>
        !u.disabled && (req.organisation === undefined || u.orgName.toLowerCase() === req.organisation.toLowerCase()),
    );
    // Usernames are unique per organisation: the password tells the accounts apart. Every
    // candidate is verified (and a dummy hash when there is none), so the time taken does not
    // say whether or where a username exists.
    const matches: typeof candidates = [];
    if (candidates.length === 0) {
      dummyHash ??= this.hasher.hash('not-a-real-password');
      await this.hasher.verify(await dummyHash, req.password);
    }
    for (const u of candidates) if (await this.hasher.verify(u.passwordHash, req.password)) matches.push(u);
    if (matches.length !== 1) {
      this.throttle.failed(keys, this.clock.now().getTime());
      await this.repos.audit.append({
        orgId: candidates.length === 1 ? candidates[0]!.orgId : null,
        actorUserId: null,
        action: 'auth.login_failed',
        details: { username: req.username, ...(matches.length > 1 ? { ambiguous: true } : {}) },
        ip: meta.ip,
      });
      if (matches.length > 1)
        throw new AppError(
          'invalid_credentials',
          'this username and password fit accounts in several organisations: name yours in "organisation"',
          { field: 'organisation' },
        );
      throw new AppError('invalid_credentials', 'wrong username or password');
    }
    const user = matches[0]!;
    this.throttle.succeeded(keys);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + this.sessionTtlMs);
    const sessionId = await this.repos.transaction(async (tx) => {
      const id = await tx.sessions.create({
        userId: user.id,
        tokenHash: hashToken(token),
        expiresAt,
        ip: meta.ip,
        userAgent: meta.userAgent,
      });
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
