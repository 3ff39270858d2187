-- Why a campaign is in its state when the system put it there (the circuit breaker's finding
-- when it paused the campaign); cleared when a person moves it.
ALTER TABLE campaigns ADD COLUMN status_reason text;
