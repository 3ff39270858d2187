import type { Database } from './database.ts';
import { AttemptsRepo } from './repositories/attempts.ts';
import { DispositionsRepo } from './repositories/dispositions.ts';
import { AuditRepo } from './repositories/audit.ts';
import { CampaignsRepo } from './repositories/campaigns.ts';
import { ContactsRepo } from './repositories/contacts.ts';
import { DncRepo } from './repositories/dnc.ts';
import { ImportsRepo } from './repositories/imports.ts';
import { OrgRepo } from './repositories/org.ts';
import { ProjectsRepo } from './repositories/projects.ts';
import { SessionsRepo } from './repositories/sessions.ts';
import { TasksRepo } from './repositories/tasks.ts';
import { UsersRepo } from './repositories/users.ts';

/** Every repository over one database handle. */
export class Repositories {
  readonly users: UsersRepo;
  readonly sessions: SessionsRepo;
  readonly audit: AuditRepo;
  readonly projects: ProjectsRepo;
  readonly org: OrgRepo;
  readonly dnc: DncRepo;
  readonly contacts: ContactsRepo;
  readonly tasks: TasksRepo;
  readonly imports: ImportsRepo;
  readonly campaigns: CampaignsRepo;
  readonly attempts: AttemptsRepo;
  readonly dispositions: DispositionsRepo;

  constructor(readonly db: Database) {
    this.users = new UsersRepo(db);
    this.sessions = new SessionsRepo(db);
    this.audit = new AuditRepo(db);
    this.projects = new ProjectsRepo(db);
    this.org = new OrgRepo(db);
    this.dnc = new DncRepo(db);
    this.contacts = new ContactsRepo(db);
    this.tasks = new TasksRepo(db);
    this.imports = new ImportsRepo(db);
    this.campaigns = new CampaignsRepo(db);
    this.attempts = new AttemptsRepo(db);
    this.dispositions = new DispositionsRepo(db);
  }
}
