-- Accounts with roles (network and organisation roles scoped to one network or organisation) and API tokens kept only as SHA-256 hashes.
CREATE TABLE account (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    email text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_role (
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('secretariat', 'bureau', 'network', 'organisation', 'participant')),
    network_id uuid REFERENCES network (id) ON DELETE CASCADE,
    organisation_id uuid REFERENCES organisation (id) ON DELETE CASCADE,
    -- A network role names exactly its network, an organisation role its organisation, others neither.
    CHECK ((role = 'network') = (network_id IS NOT NULL)),
    CHECK ((role = 'organisation') = (organisation_id IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (account_id, role, network_id, organisation_id)
);
CREATE INDEX account_role_network ON account_role (network_id) WHERE network_id IS NOT NULL;
CREATE INDEX account_role_organisation ON account_role (organisation_id) WHERE organisation_id IS NOT NULL;

CREATE TABLE api_token (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- SHA-256 of the whole token text; the token itself is shown once and never stored.
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_token_account ON api_token (account_id);
