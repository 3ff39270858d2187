-- Questionnaires and scripts (问卷管理, issue 12): the organisation's question bank, questionnaires
-- per project with an editable draft and immutable published versions, the answers of each call
-- (pinned to the version the call used), and the project's knowledge prompts.
CREATE TABLE question_bank (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  code        text NOT NULL,
  category    text NOT NULL DEFAULT '',
  -- The question (domain BankQuestion without its code): type, text, options, required, ranges, hint.
  question    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, code)
);

CREATE TABLE questionnaires (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  project_id  uuid NOT NULL REFERENCES projects(id),
  code        text NOT NULL,
  title       jsonb NOT NULL,
  -- The document as last imported or saved (outdial.questionnaire/1), not necessarily valid.
  draft       jsonb NOT NULL,
  -- The one questionnaire a project's calls use (its latest published version).
  active      boolean NOT NULL DEFAULT false,
  created_by  uuid REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, code)
);
CREATE UNIQUE INDEX questionnaires_one_active ON questionnaires (project_id) WHERE active;

-- A published version is a complete copy (bank questions filled in), never changed afterwards.
CREATE TABLE questionnaire_versions (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id            uuid NOT NULL REFERENCES organisations(id),
  questionnaire_id  uuid NOT NULL REFERENCES questionnaires(id),
  version           int NOT NULL,
  document          jsonb NOT NULL,
  published_by      uuid REFERENCES users(id),
  published_at      timestamptz NOT NULL,
  UNIQUE (questionnaire_id, version)
);
CREATE FUNCTION questionnaire_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'published questionnaire versions are immutable';
END $$;
CREATE TRIGGER questionnaire_versions_no_change BEFORE UPDATE OR DELETE ON questionnaire_versions
  FOR EACH ROW EXECUTE FUNCTION questionnaire_versions_immutable();

-- The answers of one call, validated against the version it was pinned to when first used.
CREATE TABLE call_answers (
  attempt_id   uuid PRIMARY KEY REFERENCES call_attempts(id),
  org_id       uuid NOT NULL REFERENCES organisations(id),
  version_id   uuid NOT NULL REFERENCES questionnaire_versions(id),
  answers      jsonb NOT NULL DEFAULT '{}',
  -- Every question shown on the path is answered (optional ones may be blank), to the end.
  complete     boolean NOT NULL DEFAULT false,
  updated_by   uuid REFERENCES users(id),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Knowledge prompts (知识提示): keyword rules per project, matched against notes and transcripts.
CREATE TABLE knowledge_rules (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organisations(id),
  project_id  uuid NOT NULL REFERENCES projects(id),
  keywords    text[] NOT NULL,
  title       jsonb NOT NULL,
  body        jsonb NOT NULL,
  position    int NOT NULL
);
CREATE INDEX knowledge_rules_project ON knowledge_rules (project_id, position);
