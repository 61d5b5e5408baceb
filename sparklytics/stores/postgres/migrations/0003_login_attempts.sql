-- The login lockout shared by every node (sparklytics/stores/postgres/login_attempts.py):
-- one row per failed (or still being checked) password attempt of the last window.
-- client is HMAC-SHA256 of the client IP under a key derived from
-- SPARKLYTICS_LOCKOUT_SECRET, which is never stored (Decision 7).
CREATE TABLE login_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client BYTEA NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_client_at ON login_attempts (client, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
