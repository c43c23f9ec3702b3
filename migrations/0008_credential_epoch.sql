-- A change of credentials ends what the old credentials opened. A session remembers the epoch its
-- user had at sign-in and is refused once the epoch has moved on; a password change (by the admin,
-- `sieve user passwd` or the user) and disabling the user move it. API tokens created before a
-- password change are revoked in the same transaction (`api_tokens.revoked_at`), so they need no epoch.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
