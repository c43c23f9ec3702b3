-- Two holes between what a user sees and what Sieve records (issue 20, items 4 and 5).

-- Pseudonyms are keyed per project. With the install's one key the same patient had the same `P…`
-- in every project, so label sets of two protocols could be joined on the patient column. A
-- project's key is derived from the install's secret (data/pseudonym.key, never in the database)
-- and this salt, which is not secret. NULL: the install-wide key. Projects that already hold
-- reports keep it: the clear identifiers were never stored, so their pseudonyms cannot be
-- recomputed, and a patient must keep one pseudonym within a project (splits are by patient). A
-- project gets its salt from the first import that finds it without reports (core/src/reports.rs).
ALTER TABLE projects ADD COLUMN pseudonym_salt TEXT;

-- A claim carries a token the server issued when it served the study; an answer or a skip names
-- it and is refused unless the user still holds that study under that token. Without it a second
-- tab, or a page restored by Back, answered a study already answered (replacing the answer) or
-- one the user no longer held. Claims taken before this migration carry 0 (they expire as usual).
ALTER TABLE claims ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
