-- Idempotency keys of creating POSTs, per account: a retry with the same key and body replays the stored answer; kept at least 24 hours.
CREATE TABLE idempotency_key (
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- SHA-256 of method, path and body: the same key with another request is refused.
    request_hash bytea NOT NULL,
    -- NULL while the first request is being answered.
    status integer,
    headers jsonb,
    body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
