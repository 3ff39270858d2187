-- Telephony (issue 14): SIP trunks an organisation configures, call recordings, and how long
-- answering-machine detection listened before it decided.

ALTER TABLE call_attempts ADD COLUMN amd_ms int;

-- A campaign names a trunk in its settings ("trunk"); the SIP carrier takes these (per
-- organisation) besides the trunks of its own configuration. The password is write-only
-- through the API.
CREATE TABLE trunks (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id            uuid NOT NULL REFERENCES organisations(id),
  name              text NOT NULL,
  uri               text NOT NULL,
  transport         text NOT NULL CHECK (transport IN ('udp', 'tcp')),
  username          text,
  password          text,
  max_channels      int NOT NULL CHECK (max_channels > 0),
  calls_per_second  double precision NOT NULL CHECK (calls_per_second > 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((username IS NULL) = (password IS NULL))
);
CREATE UNIQUE INDEX trunks_org_name ON trunks (org_id, lower(name));

-- One recording per attempt (customer left, agent right), kept until expires_at (the retention
-- setting at the time it was made); the file lives under the server's recordings folder.
CREATE TABLE call_recordings (
  attempt_id   uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organisations(id),
  project_id   uuid NOT NULL,
  agent_user_id uuid,
  path         text NOT NULL,
  duration_ms  int NOT NULL CHECK (duration_ms >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX call_recordings_expiry ON call_recordings (expires_at);
CREATE INDEX call_recordings_org ON call_recordings (org_id, created_at DESC);
