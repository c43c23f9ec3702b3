-- The cue lists Sieve shipped before its defaults took in the published NegEx and ConText triggers
-- (issue 16). A project that never changed its lists read with these; it keeps reading with them,
-- so its soft labels do not change under it on upgrade. A fellow loads a preset (NegEx, ConText,
-- Sieve radiology) on the questions page, seeing the difference before saving.
INSERT INTO text_settings (project_id, settings, updated_by, updated_at)
SELECT id, '{"cues":{"pre_negation":["no","not","without","negative for","no evidence of","no signs of","free of","absence of","resolution of"],"post_negation":["is ruled out","are ruled out","has been ruled out","is absent","are absent","has resolved","have resolved","not seen","not identified"],"pre_uncertainty":["possible","possibly","probable","questionable","suspicious for","concern for","cannot exclude","can not exclude","cannot rule out","may represent","equivocal","?"],"post_uncertainty":["cannot be excluded","can not be excluded","not excluded","cannot be ruled out","is suspected","?"],"pseudo":["no change","no significant change","no interval change","not only","no increase","no decrease","without change"],"termination":["but","however","although","though","except","apart from","aside from"],"normal":[]},"section_headers":["EXAMINATION","CLINICAL HISTORY","HISTORY","INDICATION","TECHNIQUE","COMPARISON","FINDINGS","IMPRESSION","CONCLUSION"]}', 'Sieve (upgrade)', unixepoch() FROM projects
WHERE id NOT IN (SELECT project_id FROM text_settings);

-- Lists saved before the list of normal-modifiers existed keep reading without one.
UPDATE text_settings SET settings = json_set(settings, '$.cues.normal', json('[]'))
WHERE json_extract(settings, '$.cues.normal') IS NULL;
