-- Which dialer process placed an attempt. A live process holds the advisory lock
-- 'outdial-node:<node_id>' on PostgreSQL; when it dies the lock goes with its connection, and any
-- other node closes the attempts it left open (crash safety, ADR 0009).
ALTER TABLE call_attempts ADD COLUMN node_id uuid;
