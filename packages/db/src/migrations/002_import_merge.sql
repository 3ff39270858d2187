-- The merge step of a list import on PGlite (ADR 0003), as one server-side function. The
-- import's rows were staged in import_rows batch by batch; this runs once, in the transaction
-- that makes the contacts visible, with the project's import lock held:
--   numbers the project already has → duplicate_existing;
--   primary numbers on a do-not-call list covering the project, not expired → dnc;
--   blocked secondary numbers are dropped from the contact, the contact stays;
--   the rest become contacts in file order, with the ids the importer gave them;
--   only the rows that did not become contacts stay in import_rows, as the record of why.
-- On PostgreSQL the same rules run batch by batch in ImportsRepo.screen (imports.ts); the
-- repository tests hold both to the same outcomes.
CREATE FUNCTION import_merge(p_import uuid, p_org uuid, p_project uuid, p_now timestamptz)
RETURNS TABLE (row_outcome text, row_count int) LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE import_rows r SET outcome = 'duplicate_existing', code = 'duplicate_existing',
         message = 'the project already has a contact with this number'
   WHERE r.import_id = p_import AND r.outcome = 'accepted'
     AND EXISTS (SELECT 1 FROM contacts c WHERE c.project_id = p_project AND c.phone = r.phone);

  UPDATE import_rows r SET outcome = 'dnc', code = 'dnc',
         message = (SELECT 'on do-not-call list "' || l.name || '"' || CASE WHEN e.reason <> '' THEN ': ' || e.reason ELSE '' END
                      FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                     WHERE e.phone = r.phone AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                       AND (e.expires_at IS NULL OR e.expires_at > p_now)
                     ORDER BY l.name LIMIT 1)
   WHERE r.import_id = p_import AND r.outcome = 'accepted'
     AND EXISTS (SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                  WHERE e.phone = r.phone AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                    AND (e.expires_at IS NULL OR e.expires_at > p_now));

  UPDATE import_rows r SET phones = ARRAY(
           SELECT u.p FROM unnest(r.phones) WITH ORDINALITY AS u(p, i)
            WHERE u.i = 1 OR NOT EXISTS (SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                                          WHERE e.phone = u.p AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                                            AND (e.expires_at IS NULL OR e.expires_at > p_now))
            ORDER BY u.i)
   WHERE r.import_id = p_import AND r.outcome = 'accepted' AND cardinality(r.phones) > 1;

  INSERT INTO contacts (id, org_id, project_id, import_id, external_id, name, phone, phones, timezone, region, tags, custom)
  SELECT coalesce(r.contact_id, gen_random_uuid()), p_org, p_project, p_import, r.external_id, r.name, r.phone, r.phones,
         r.timezone, r.region, coalesce(r.tags, '{}'), coalesce(r.custom, '{}')
    FROM import_rows r WHERE r.import_id = p_import AND r.outcome = 'accepted' ORDER BY r.row_number;

  RETURN QUERY SELECT r.outcome, count(*)::int FROM import_rows r WHERE r.import_id = p_import GROUP BY r.outcome;

  DELETE FROM import_rows r WHERE r.import_id = p_import AND r.outcome = 'accepted';
END
$fn$;
