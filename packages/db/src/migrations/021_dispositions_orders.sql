-- Disposition codes carry their effect (issue 12): a retry delay of their own, a callback owned
-- by the agent or by anyone, an escalation to a skill group's queue, required answers.
ALTER TABLE disposition_codes ADD COLUMN retry_after_minutes int CHECK (retry_after_minutes BETWEEN 0 AND 525600);
ALTER TABLE disposition_codes ADD COLUMN callback text CHECK (callback IN ('agent', 'anyone'));
ALTER TABLE disposition_codes ADD COLUMN escalate_to text;
ALTER TABLE disposition_codes ADD COLUMN requires_answers boolean NOT NULL DEFAULT false;

-- Whose callback it is: an agent (only they are offered it) or, NULL, anyone of the campaign.
ALTER TABLE contacts ADD COLUMN callback_owner uuid;

-- Sales projects: a product catalogue per project and the orders taken on successful calls.
-- Money in whole minor units (分/cents).
CREATE TABLE products (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES organisations(id),
  project_id   uuid NOT NULL REFERENCES projects(id),
  sku          text NOT NULL,
  name         text NOT NULL,
  price_cents  bigint NOT NULL CHECK (price_cents >= 0),
  currency     text NOT NULL DEFAULT 'CNY',
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, sku)
);

CREATE TABLE orders (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organisations(id),
  project_id     uuid NOT NULL REFERENCES projects(id),
  contact_id     uuid NOT NULL REFERENCES contacts(id),
  -- One order per call.
  attempt_id     uuid NOT NULL UNIQUE REFERENCES call_attempts(id),
  agent_user_id  uuid REFERENCES users(id),
  amount_cents   bigint NOT NULL CHECK (amount_cents >= 0),
  currency       text NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX orders_project ON orders (project_id, created_at);
CREATE INDEX orders_agent ON orders (agent_user_id, created_at);

CREATE TABLE order_lines (
  order_id          uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line              int NOT NULL,
  product_id        uuid NOT NULL REFERENCES products(id),
  -- As sold: the catalogue may change later.
  sku               text NOT NULL,
  name              text NOT NULL,
  quantity          int NOT NULL CHECK (quantity > 0),
  unit_price_cents  bigint NOT NULL,
  amount_cents      bigint NOT NULL,
  PRIMARY KEY (order_id, line)
);
