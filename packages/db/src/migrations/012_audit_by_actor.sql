-- Counting one user's recent actions of a kind (the daily budget of complete-number lookups by
-- roles that see masked numbers) reads this index, not the organisation's whole log.
CREATE INDEX audit_log_actor_action ON audit_log (actor_user_id, action, created_at DESC);
