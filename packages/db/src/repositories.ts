import type { Repositories as RepositoriesPort } from '@outdial/engine/ports';
import type { Database, Sql } from './database.ts';
import { AttemptsRepo } from './repositories/attempts.ts';
import { DispositionsRepo } from './repositories/dispositions.ts';
import { TelephonyRepo } from './repositories/telephony.ts';
import { AuditRepo } from './repositories/audit.ts';
import { CampaignsRepo } from './repositories/campaigns.ts';
import { ContactsRepo } from './repositories/contacts.ts';
import { DncRepo } from './repositories/dnc.ts';
import { ImportsRepo } from './repositories/imports.ts';
import { OrgRepo } from './repositories/org.ts';
import { ProjectsRepo } from './repositories/projects.ts';
import { QuestionnairesRepo } from './repositories/questionnaires.ts';
import { OrdersRepo } from './repositories/orders.ts';
import { WebhooksRepo } from './repositories/webhooks.ts';
import { SessionsRepo } from './repositories/sessions.ts';
import { TasksRepo } from './repositories/tasks.ts';
import { UsersRepo } from './repositories/users.ts';

/**
 * A database handle seen from inside one of its transactions: statements go to the transaction,
 * a nested `transaction()` joins it (one unit of work), bulk COPY streams into it.
 */
function inTransaction(db: Database, tx: Sql): Database {
  return {
    kind: db.kind,
    query: (text, params) => tx.query(text, params),
    exec: (text) => tx.exec(text),
    transaction: (fn) => fn(tx),
    ...(db.copyFrom ? { copyFrom: db.copyFrom } : {}),
    close: () => Promise.reject(new Error('a transaction cannot close the database')),
  };
}

/** Every repository over one database handle: the engine's store ports, implemented in SQL. */
export class Repositories implements RepositoriesPort {
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
  readonly telephony: TelephonyRepo;
  readonly questionnaires: QuestionnairesRepo;
  readonly orders: OrdersRepo;
  readonly webhooks: WebhooksRepo;

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
    this.telephony = new TelephonyRepo(db);
    this.questionnaires = new QuestionnairesRepo(db);
    this.orders = new OrdersRepo(db);
    this.webhooks = new WebhooksRepo(db);
  }

  get kind() {
    return this.db.kind;
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new Repositories(inTransaction(this.db, tx))));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}
