-- Only the category facts need finding by value: a partial index, smaller, and untouched by
-- the other facts' counts.
DROP INDEX library_facts_by_value;
CREATE INDEX library_facts_category ON library_facts(value, n) WHERE fact = 'k';
