-- Write-back to business systems (issue 12): webhooks signed per Standard Webhooks, delivered from
-- a lease table of our own (ADR 0017). A message is written in the same
-- transaction as the change it reports (the outbox), so a change is never without its message and a
-- killed server loses none: a delivery left half-done is leased again when its lease runs out.
CREATE TABLE webhooks (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES organisations(id),
  url          text NOT NULL,
  events       text[] NOT NULL,
  -- whsec_ + base64 of the HMAC key, as Standard Webhooks writes secrets.
  secret       text NOT NULL,
  description  text NOT NULL DEFAULT '',
  active       boolean NOT NULL DEFAULT true,
  created_by   uuid REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_org ON webhooks (org_id) WHERE active;

-- One message per event and subscribed webhook. Its id is the webhook-id header, the same on every
-- try; its body is stored as the exact text that is signed and sent, every time.
CREATE TABLE webhook_messages (
  id               text PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES organisations(id),
  webhook_id       uuid NOT NULL REFERENCES webhooks(id),
  event_type       text NOT NULL,
  body             text NOT NULL,
  -- pending → delivered, or dead after the last scheduled try (redelivered by hand: pending again).
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  -- Every try ever made (the log's numbering) and the failures since it was last queued (the schedule).
  attempts         int NOT NULL DEFAULT 0,
  failures         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  leased_until     timestamptz,
  lease_owner      text,
  last_status      int,
  last_error       text,
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_messages_webhook ON webhook_messages (webhook_id, created_at DESC);
CREATE INDEX webhook_messages_org_status ON webhook_messages (org_id, status, created_at DESC);

-- The delivery log: every try with its answer.
CREATE TABLE webhook_attempts (
  message_id     text NOT NULL REFERENCES webhook_messages(id) ON DELETE CASCADE,
  n              int NOT NULL,
  at             timestamptz NOT NULL,
  status_code    int,
  error          text,
  duration_ms    int NOT NULL,
  response       text,
  PRIMARY KEY (message_id, n)
);
