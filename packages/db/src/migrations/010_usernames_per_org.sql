-- Usernames are unique within an organisation, not platform-wide: a name taken in another
-- organisation must neither be refused nor revealed (a 409 naming it was a cross-tenant leak).
-- Login finds the account by username and password (and the organisation when the same pair
-- fits accounts in several).
DROP INDEX IF EXISTS users_username_key;
CREATE UNIQUE INDEX users_org_username_key ON users (org_id, lower(username));
CREATE INDEX users_username ON users (lower(username));
