-- Contacts by API (issue 12): business systems look their contacts up by their own id. Partial, so
-- lists imported without external ids pay nothing for it (ADR 0007).
CREATE INDEX IF NOT EXISTS contacts_external ON contacts (project_id, external_id) WHERE external_id IS NOT NULL;
