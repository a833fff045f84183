-- Keyset paging of the portfolio list (`list_page` with a cursor): a page after a position
-- is a range of the sort's index whatever its depth, for every sort on its own (`forms_by_*`,
-- 0005) and within one unit, the scope of a unit's users (these, with `forms_unit_name`).
CREATE INDEX forms_unit_year ON forms(unit_id, year, id);
CREATE INDEX forms_unit_amount ON forms(unit_id, funds_annual_total, id);
CREATE INDEX forms_unit_updated ON forms(unit_id, updated_at, id);
-- The status sort ends in the ID like the others (the status filter uses it as before).
DROP INDEX forms_status;
CREATE INDEX forms_by_status ON forms(status, id);
