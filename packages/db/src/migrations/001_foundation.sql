-- Outdial foundation schema. Runs unchanged on PGlite and PostgreSQL ≥ 13.
-- Every business table carries org_id: tenancy is enforced in every repository query.

CREATE TABLE organisations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organisations(id),
  username       text NOT NULL,
  display_name   text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'supervisor', 'qa', 'agent')),
  password_hash  text NOT NULL,
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique platform-wide so that login needs no organisation field.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_org ON users (org_id, role);

CREATE TABLE sessions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users(id),
  -- SHA-256 of the bearer token: a leaked table does not leak usable tokens.
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  ip            text,
  user_agent    text
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE teams (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE skill_groups (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  code        text NOT NULL,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, code)
);

-- An agent is a user with role 'agent' (or a supervisor who also takes calls).
CREATE TABLE agents (
  user_id     uuid PRIMARY KEY REFERENCES users(id),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  team_id     uuid REFERENCES teams(id),
  extension   text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_skills (
  user_id         uuid NOT NULL REFERENCES agents(user_id) ON DELETE CASCADE,
  skill_group_id  uuid NOT NULL REFERENCES skill_groups(id) ON DELETE CASCADE,
  -- 1 (novice) … 10 (expert); routing prefers higher levels.
  level           int NOT NULL CHECK (level BETWEEN 1 AND 10),
  PRIMARY KEY (user_id, skill_group_id)
);

CREATE TABLE projects (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id          uuid NOT NULL REFERENCES organisations(id),
  code            text NOT NULL,
  name            text NOT NULL,
  description     text NOT NULL DEFAULT '',
  -- ISO 3166 region used to read national-format numbers (CN unless set).
  default_region  text NOT NULL DEFAULT 'CN',
  -- Time zone assumed for a contact whose number and row give none.
  default_timezone text NOT NULL DEFAULT 'Asia/Shanghai',
  -- ProjectRules (packages/domain/src/projects/types.ts): closing rule, windows, retries, caps.
  rules           jsonb NOT NULL,
  caller_ids      text[] NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, code)
);

CREATE TABLE project_fields (
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key         text NOT NULL,
  label_zh    text NOT NULL,
  label_en    text NOT NULL,
  type        text NOT NULL CHECK (type IN ('text', 'number', 'date', 'enum', 'boolean')),
  required    boolean NOT NULL DEFAULT false,
  options     jsonb,
  max_length  int,
  position    int NOT NULL,
  PRIMARY KEY (project_id, key)
);

CREATE TABLE disposition_codes (
  project_id   uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  code         text NOT NULL,
  label_zh     text NOT NULL,
  label_en     text NOT NULL,
  success      boolean NOT NULL DEFAULT false,
  closes       boolean NOT NULL DEFAULT false,
  adds_to_dnc  boolean NOT NULL DEFAULT false,
  position     int NOT NULL,
  PRIMARY KEY (project_id, code)
);

CREATE TABLE imports (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id              uuid NOT NULL REFERENCES organisations(id),
  project_id          uuid NOT NULL REFERENCES projects(id),
  filename            text NOT NULL,
  format              text,
  encoding            text,
  -- parsing → merging → completed, or failed at any point (nothing of it becomes visible).
  status              text NOT NULL CHECK (status IN ('parsing', 'merging', 'completed', 'failed')),
  error               jsonb,
  mapping             jsonb,
  -- The file's header, in order: rejected rows are given back in the original columns.
  columns             jsonb,
  total_bytes         bigint,
  bytes_read          bigint NOT NULL DEFAULT 0,
  rows_read           int NOT NULL DEFAULT 0,
  imported            int NOT NULL DEFAULT 0,
  duplicate_in_file   int NOT NULL DEFAULT 0,
  duplicate_existing  int NOT NULL DEFAULT 0,
  dnc                 int NOT NULL DEFAULT 0,
  invalid             int NOT NULL DEFAULT 0,
  created_by          uuid REFERENCES users(id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  -- Bumped with every progress report: an import not heard of for a while has lost its worker.
  updated_at          timestamptz NOT NULL DEFAULT now(),
  finished_at         timestamptz
);
CREATE INDEX imports_project ON imports (project_id, created_at DESC);

-- One row per data row of an import file: the staging area while it runs, and afterwards
-- the record of why each row was or was not imported.
CREATE TABLE import_rows (
  import_id    uuid NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  row_number   int NOT NULL,
  outcome      text NOT NULL CHECK (outcome IN ('accepted', 'duplicate_in_file', 'duplicate_existing', 'dnc', 'invalid')),
  code         text,
  message      text,
  phone        text,
  phones       text[],
  name         text,
  timezone     text,
  region       text,
  tags         text[],
  external_id  text,
  custom       jsonb,
  raw          jsonb,
  -- The id the row's contact gets if it is imported (time-ordered, made by the importer).
  contact_id   uuid,
  PRIMARY KEY (import_id, row_number)
);

-- Contacts arrive a million at a time, so this table declares no row-level foreign keys:
-- each one costs a trigger call per inserted row (about 10 µs; a 1M-row import spent 10 s
-- per key on them). Only the import merge creates contacts, from a project row it has just
-- read under the project's import lock, and projects are archived, never deleted (ADR 0007).
-- Ids are time-ordered (UUID version 7, made by the importer) so the primary key grows at
-- its right edge instead of splitting pages at random.
CREATE TABLE contacts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id           uuid NOT NULL,
  project_id       uuid NOT NULL,
  import_id        uuid,
  external_id      text,
  name             text,
  -- Primary number, E.164. Unique per project: the dedupe key of every import.
  phone            text NOT NULL,
  phones           text[] NOT NULL,
  timezone         text,
  region           text,
  tags             text[] NOT NULL DEFAULT '{}',
  custom           jsonb NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'callback', 'closed')),
  close_reason     text,
  attempts         int NOT NULL DEFAULT 0,
  last_attempt_at  timestamptz,
  next_attempt_at  timestamptz,
  callback_at      timestamptz,
  priority         int NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, phone)
);
CREATE INDEX contacts_dialable ON contacts (project_id, status, next_attempt_at);

CREATE TABLE dnc_lists (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  -- NULL: the organisation-wide list, applied to every project.
  project_id  uuid REFERENCES projects(id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX dnc_lists_scope ON dnc_lists (org_id, coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

CREATE TABLE dnc_entries (
  list_id     uuid NOT NULL REFERENCES dnc_lists(id) ON DELETE CASCADE,
  phone       text NOT NULL,
  reason      text NOT NULL DEFAULT '',
  source      text NOT NULL DEFAULT 'manual',
  -- China's insurance telesales rules keep refusers for ≥ 6 months; NULL = never expires.
  expires_at  timestamptz,
  created_by  uuid REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, phone)
);
CREATE INDEX dnc_entries_phone ON dnc_entries (phone);

CREATE TABLE tasks (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id               uuid NOT NULL REFERENCES organisations(id),
  project_id           uuid NOT NULL REFERENCES projects(id),
  contact_id           uuid NOT NULL REFERENCES contacts(id),
  channel              text NOT NULL CHECK (channel IN ('agent_call', 'ivr_call', 'sms')),
  -- Either a named agent or a queue (skill group); neither = any agent of the project.
  assignee_user_id     uuid REFERENCES users(id),
  skill_group_id       uuid REFERENCES skill_groups(id),
  status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  priority             int NOT NULL DEFAULT 0,
  due_at               timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tasks_one_open_per_channel ON tasks (contact_id, channel) WHERE status = 'open';
CREATE INDEX tasks_assignee ON tasks (assignee_user_id, status);

CREATE TABLE call_attempts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id          uuid NOT NULL REFERENCES organisations(id),
  project_id      uuid NOT NULL REFERENCES projects(id),
  campaign_id     uuid,
  contact_id      uuid NOT NULL REFERENCES contacts(id),
  task_id         uuid REFERENCES tasks(id),
  phone           text NOT NULL,
  caller_id       text,
  dial_mode       text NOT NULL CHECK (dial_mode IN ('preview', 'progressive', 'power', 'predictive', 'manual', 'ivr')),
  agent_user_id   uuid REFERENCES users(id),
  placed_at       timestamptz NOT NULL,
  answered_at     timestamptz,
  connected_at    timestamptz,
  ended_at        timestamptz,
  -- person | machine | no_answer | busy | failed | abandoned | cancelled; NULL while the call is live.
  outcome         text,
  hangup_side     text CHECK (hangup_side IN ('customer', 'agent', 'system')),
  sip_cause       int,
  amd_result      text CHECK (amd_result IN ('human', 'machine', 'unknown')),
  abandoned       boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_attempts_contact ON call_attempts (contact_id, placed_at);
CREATE INDEX call_attempts_phone ON call_attempts (phone, placed_at);
CREATE INDEX call_attempts_open ON call_attempts (project_id) WHERE ended_at IS NULL;

CREATE TABLE dispositions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organisations(id),
  project_id     uuid NOT NULL REFERENCES projects(id),
  contact_id     uuid NOT NULL REFERENCES contacts(id),
  attempt_id     uuid REFERENCES call_attempts(id),
  agent_user_id  uuid REFERENCES users(id),
  code           text NOT NULL,
  notes          text NOT NULL DEFAULT '',
  answers        jsonb NOT NULL DEFAULT '{}',
  callback_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispositions_contact ON dispositions (contact_id, created_at);

CREATE TABLE audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id         uuid,
  actor_user_id  uuid,
  action         text NOT NULL,
  subject_type   text,
  subject_id     text,
  details        jsonb NOT NULL DEFAULT '{}',
  ip             text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org ON audit_log (org_id, created_at DESC);

-- Append-only: the audit trail PIPL asks for is worthless if it can be edited.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
