-- Campaign figures (GET /campaigns/{id}/stats) and the dialer's abandon-rate history at start
-- read a campaign's attempts over 24 hours and 30 days: by campaign, then time.
CREATE INDEX IF NOT EXISTS call_attempts_campaign ON call_attempts (campaign_id, placed_at);

-- One disposition (落单) per call attempt: a second submission is refused, not doubled.
CREATE UNIQUE INDEX IF NOT EXISTS dispositions_attempt ON dispositions (attempt_id) WHERE attempt_id IS NOT NULL;
