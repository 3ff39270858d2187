import type { Repositories, Role } from '@outdial/db';
import { AttemptRecorder } from './attempts.ts';
import { AuthService } from './auth.ts';
import { CampaignService } from './campaigns.ts';
import { ContactsService } from './contacts.ts';
import { DncService } from './dnc.ts';
import { ImportService } from './imports.ts';
import { OrgService } from './org.ts';
import type { Clock, PasswordHasher } from './ports.ts';
import { ProjectsService } from './projects.ts';
import { TasksService } from './tasks.ts';
import { UsersService } from './users.ts';

export interface ServicesConfig {
  sessionTtlMs: number;
  maxCustomFields: number;
  unmaskRoles: readonly Role[];
}

/** Every use case, wired over one set of repositories. */
export function createServices(repos: Repositories, clock: Clock, hasher: PasswordHasher, cfg: ServicesConfig) {
  return {
    auth: new AuthService(repos, clock, hasher, cfg.sessionTtlMs),
    users: new UsersService(repos, hasher, clock),
    projects: new ProjectsService(repos, cfg.maxCustomFields),
    contacts: new ContactsService(repos, cfg.unmaskRoles),
    imports: new ImportService(repos, clock),
    dnc: new DncService(repos, clock),
    tasks: new TasksService(repos),
    org: new OrgService(repos),
    campaigns: new CampaignService(repos, clock),
    attempts: new AttemptRecorder(repos, clock),
  };
}

export type Services = ReturnType<typeof createServices>;
