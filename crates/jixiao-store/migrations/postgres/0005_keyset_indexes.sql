-- Keyset paging of the portfolio list (see the SQLite migration 0024). A form with no
-- annual total sorts first in ascending order, as on SQLite, so the amount's indexes keep
-- NULLs first: the list's order and its cursors are the same on both backends.
DROP INDEX forms_by_amount;
CREATE INDEX forms_by_amount ON forms(funds_annual_total NULLS FIRST, id);
CREATE INDEX forms_unit_year ON forms(unit_id, year, id);
CREATE INDEX forms_unit_amount ON forms(unit_id, funds_annual_total NULLS FIRST, id);
CREATE INDEX forms_unit_updated ON forms(unit_id, updated_at, id);
DROP INDEX forms_status;
CREATE INDEX forms_by_status ON forms(status, id);
