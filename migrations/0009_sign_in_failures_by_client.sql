-- Failed sign-ins counted per name *and* client address: five wrong passwords typed for a name
-- from one computer lock that name on that computer only, so a stranger cannot lock a colleague
-- out of their account. (Many failures from one address, whatever the names, are throttled in
-- memory, see `throttle.rs`.) The old per-name counts are dropped: they were keyed by name alone
-- and cannot be attributed to an address; the worst this costs is five more guesses per address.
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_failures (
    user_name    TEXT    NOT NULL COLLATE NOCASE,
    -- The client's address as Sieve sees it (behind a trusted proxy, the forwarded one).
    client       TEXT    NOT NULL,
    failures     INTEGER NOT NULL,
    -- Also the time of the last failure while the name is not locked: stale rows are pruned by it.
    locked_until INTEGER NOT NULL,
    PRIMARY KEY (user_name, client)
);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (locked_until);
