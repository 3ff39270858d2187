import type { Repositories, Role } from './ports/index.ts';
import { AttemptRecorder } from './attempts.ts';
import { AuditService } from './audit.ts';
import { AuthService } from './auth.ts';
import { CampaignService } from './campaigns.ts';
import { ContactsService } from './contacts.ts';
import { EventBus } from './dialer/events.ts';
import { DispositionService } from './dispositions.ts';
import { DncService } from './dnc.ts';
import { ImportService } from './imports.ts';
import { OrgService } from './org.ts';
import { silentLogger, type Logger } from './logger.ts';
import { PersonalData } from './pii.ts';
import type { Clock, PasswordHasher } from './ports/index.ts';
import { ProjectsService } from './projects.ts';
import { QuestionnaireService } from './questionnaires/service.ts';
import { OrdersService } from './orders.ts';
import { WebhookService } from './webhooks/service.ts';
import { ContactsApiService } from './contacts-api.ts';
import { TasksService } from './tasks.ts';
import { TelephonyService } from './telephony-admin.ts';
import { UsersService } from './users.ts';

export interface ServicesConfig {
  sessionTtlMs: number;
  maxCustomFields: number;
  unmaskRoles: readonly Role[];
  /** Complete-number lookups per day for readers of masked numbers (default 200). */
  maskedLookupsPerDay?: number | undefined;
  /** Failed logins per minute per account and per client before 429 (default 10). */
  loginFailuresPerMinute?: number | undefined;
  /** This process, as stamped on the call attempts it places (crash recovery). */
  nodeId?: string | null;
  /** Days a call recording is kept (default 90). */
  recordingRetentionDays?: number;
  /** Imports this process runs at once (default 4); more are refused with 429 before the upload is read. */
  maxRunningImports?: number | undefined;
  /** The process's logger (services log through children of it). */
  logger?: Logger;
}

/** Every use case, wired over one set of repositories. */
export function createServices(repos: Repositories, clock: Clock, hasher: PasswordHasher, cfg: ServicesConfig) {
  /** Domain events of this process (the dialer publishes on it too); WebSocket subscribers read it. */
  const logger = cfg.logger ?? silentLogger;
  const events = new EventBus(logger);
  const pii = new PersonalData(repos, cfg.unmaskRoles, clock, cfg.maskedLookupsPerDay);
  const questionnaires = new QuestionnaireService(repos, clock, events);
  const imports = new ImportService(repos, clock, pii, logger.child({ component: 'imports' }), cfg.maxRunningImports);
  return {
    pii,
    events,
    audit: new AuditService(repos),
    auth: new AuthService(repos, clock, hasher, cfg.sessionTtlMs, events, cfg.loginFailuresPerMinute),
    users: new UsersService(repos, hasher, clock, events),
    projects: new ProjectsService(repos, cfg.maxCustomFields),
    contacts: new ContactsService(repos, pii, clock),
    imports,
    contactsApi: new ContactsApiService(repos, imports, pii, clock),
    dnc: new DncService(repos, clock, pii),
    tasks: new TasksService(repos, pii),
    org: new OrgService(repos),
    campaigns: new CampaignService(repos, clock),
    attempts: new AttemptRecorder(repos, clock, cfg.nodeId ?? null),
    dispositions: new DispositionService(repos, clock, events, questionnaires),
    questionnaires,
    orders: new OrdersService(repos),
    webhooks: new WebhookService(repos, clock),
    telephony: new TelephonyService(repos, clock, { retentionDays: cfg.recordingRetentionDays ?? 90 }),
  };
}

export type Services = ReturnType<typeof createServices>;
