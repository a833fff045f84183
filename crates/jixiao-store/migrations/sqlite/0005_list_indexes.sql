-- The portfolio list sorts and filters 100,000s of forms: each sort key has an index that
-- ends in the ID, so a page is read in order instead of sorting every row.
CREATE INDEX forms_by_name ON forms(name, id);
CREATE INDEX forms_by_year ON forms(year, id);
CREATE INDEX forms_by_amount ON forms(funds_annual_total, id);
CREATE INDEX forms_by_updated ON forms(updated_at, id);
CREATE INDEX forms_by_department ON forms(department);
CREATE INDEX forms_unit_name ON forms(unit_id, name, id);
