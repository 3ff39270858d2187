-- Preview dialing: every contact offered to an agent, and what the agent did with it — dialed,
-- or skipped with a reason (timeout when they let it lapse). Preview utilisation and skip
-- reasons in the campaign's figures and reports come from here.
CREATE TABLE preview_decisions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organisations(id),
  campaign_id    uuid NOT NULL REFERENCES campaigns(id),
  contact_id     uuid NOT NULL,
  agent_user_id  uuid REFERENCES users(id),
  decision       text NOT NULL CHECK (decision IN ('dial', 'skip')),
  reason         text,
  offered_at     timestamptz NOT NULL,
  decided_at     timestamptz NOT NULL
);
CREATE INDEX preview_decisions_campaign ON preview_decisions (campaign_id, decided_at);
