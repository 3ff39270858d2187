-- The PGlite merge in steps (ADR 0015): import_merge (migration 002) applied to the staged rows
-- whose row numbers lie in [p_lo, p_hi], so a million-row import is merged a thousand rows per
-- short transaction and the single embedded connection answers other requests between
-- them. Same rules, same order: numbers the project already has → duplicate_existing; primary
-- numbers on an active do-not-call list → dnc; blocked secondary numbers dropped; the rest
-- become contacts with the ids the importer gave them, and their staged rows are deleted.
-- Returns how many contacts were created and how many rows it set aside (the caller sums them:
-- counting import_rows afterwards would walk the index past every deleted accepted row).
CREATE FUNCTION import_merge_range(p_import uuid, p_org uuid, p_project uuid, p_now timestamptz, p_lo int, p_hi int)
RETURNS TABLE (created int, duplicate_existing int, dnc int) LANGUAGE plpgsql AS $fn$
DECLARE
  n_created int;
  n_dup int;
  n_dnc int;
BEGIN
  UPDATE import_rows r SET outcome = 'duplicate_existing', code = 'duplicate_existing',
         message = 'the project already has a contact with this number'
   WHERE r.import_id = p_import AND r.row_number BETWEEN p_lo AND p_hi AND r.outcome = 'accepted'
     AND EXISTS (SELECT 1 FROM contacts c WHERE c.project_id = p_project AND c.phone = r.phone);
  GET DIAGNOSTICS n_dup = ROW_COUNT;

  UPDATE import_rows r SET outcome = 'dnc', code = 'dnc',
         message = (SELECT 'on do-not-call list "' || l.name || '"' || CASE WHEN e.reason <> '' THEN ': ' || e.reason ELSE '' END
                      FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                     WHERE e.phone = r.phone AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                       AND (e.expires_at IS NULL OR e.expires_at > p_now)
                     ORDER BY l.name LIMIT 1)
   WHERE r.import_id = p_import AND r.row_number BETWEEN p_lo AND p_hi AND r.outcome = 'accepted'
     AND EXISTS (SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                  WHERE e.phone = r.phone AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                    AND (e.expires_at IS NULL OR e.expires_at > p_now));
  GET DIAGNOSTICS n_dnc = ROW_COUNT;

  UPDATE import_rows r SET phones = ARRAY(
           SELECT u.p FROM unnest(r.phones) WITH ORDINALITY AS u(p, i)
            WHERE u.i = 1 OR NOT EXISTS (SELECT 1 FROM dnc_entries e JOIN dnc_lists l ON l.id = e.list_id
                                          WHERE e.phone = u.p AND l.org_id = p_org AND (l.project_id IS NULL OR l.project_id = p_project)
                                            AND (e.expires_at IS NULL OR e.expires_at > p_now))
            ORDER BY u.i)
   WHERE r.import_id = p_import AND r.row_number BETWEEN p_lo AND p_hi AND r.outcome = 'accepted'
     AND cardinality(r.phones) > 1;

  INSERT INTO contacts (id, org_id, project_id, import_id, external_id, name, phone, phones, timezone, region, tags, custom)
  SELECT coalesce(r.contact_id, gen_random_uuid()), p_org, p_project, p_import, r.external_id, r.name, r.phone, r.phones,
         r.timezone, r.region, coalesce(r.tags, '{}'), coalesce(r.custom, '{}')
    FROM import_rows r
   WHERE r.import_id = p_import AND r.row_number BETWEEN p_lo AND p_hi AND r.outcome = 'accepted'
   ORDER BY r.row_number;
  GET DIAGNOSTICS n_created = ROW_COUNT;

  DELETE FROM import_rows r WHERE r.import_id = p_import AND r.row_number BETWEEN p_lo AND p_hi AND r.outcome = 'accepted';
  RETURN QUERY SELECT n_created, n_dup, n_dnc;
END
$fn$;
