-- Lists' daily caps, shared by every node running a campaign: a row per campaign, list (import)
-- and project-calendar day holds the dials taken from the cap so far. Nodes claim quota with one
-- locked UPDATE before they dial and give back what they did not use (a refused or skipped
-- contact), so two nodes together never dial a list past its cap.
CREATE TABLE campaign_list_days (
  campaign_id  uuid NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  import_id    uuid NOT NULL,
  day          date NOT NULL,
  used         integer NOT NULL CHECK (used >= 0),
  PRIMARY KEY (campaign_id, import_id, day)
);
