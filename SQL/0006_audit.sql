-- The audit log: every change writes an entry in the same transaction (who, what, before/after with personal data redacted, request id).
CREATE TABLE audit_entry (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    account_id uuid REFERENCES account (id) ON DELETE SET NULL,
    -- NULL with a NULL account: the command line (e.g. `agora token create`).
    token_name text,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text NOT NULL,
    before jsonb,
    after jsonb,
    request_id text,
    -- Selection decisions and overrides are public; everything else is for the secretariat.
    public boolean NOT NULL DEFAULT false
);
CREATE INDEX audit_entry_object ON audit_entry (object_type, object_id, at);
CREATE INDEX audit_entry_account ON audit_entry (account_id, at);
CREATE INDEX audit_entry_at ON audit_entry (at);
