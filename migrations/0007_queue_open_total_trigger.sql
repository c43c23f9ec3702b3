-- queue_settings.open_total follows every change of a task's open slots inside SQLite itself: one
-- statement less per served study, and no code path can forget it. (Building a queue replaces its
-- tasks and sets the total afresh.)
CREATE TRIGGER tasks_open_total AFTER UPDATE OF open ON tasks
BEGIN
    UPDATE queue_settings SET open_total = open_total + NEW.open - OLD.open
    WHERE question_id = NEW.question_id;
END;
