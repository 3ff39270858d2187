-- Campaigns (外呼活动) and the leases that keep two dialer loops, or two nodes, from taking the
-- same contact (ADR 0008).
CREATE TABLE campaigns (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organisations(id),
  project_id     uuid NOT NULL REFERENCES projects(id),
  name           text NOT NULL,
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'finished')),
  -- CampaignSettings (packages/domain/src/campaigns): dial mode, pacing, skills, tags, caller IDs, schedule.
  settings       jsonb NOT NULL,
  finish_reason  text CHECK (finish_reason IN ('stopped', 'list_exhausted', 'circuit_breaker', 'end_time')),
  created_by     uuid REFERENCES users(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  UNIQUE (org_id, project_id, name)
);
CREATE INDEX campaigns_active ON campaigns (status) WHERE status IN ('scheduled', 'running');

-- A contact taken by a dialer loop is leased until `leased_until`; an expired lease (the node
-- died) makes it available again. `lease_owner` is the campaign that holds it.
ALTER TABLE contacts ADD COLUMN leased_until timestamptz;
ALTER TABLE contacts ADD COLUMN lease_owner uuid;
