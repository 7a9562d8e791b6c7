-- Onboarding and trust: account invitations and disabling, consented network membership, bureau roles scoped to a body, public audit entries that name roles, conclusion times for the life cycle, and the indexes per-request queries lacked.

-- A disabled account's tokens stop working on every server (announced like a revocation).
ALTER TABLE account ADD COLUMN disabled_at timestamptz;
ALTER TABLE account ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE account ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX account_person ON account (person_id) WHERE person_id IS NOT NULL;

-- One-time codes that let a new account get its first token. Only the SHA-256 of the code is
-- kept; a new invitation voids the open one, so an account has at most one open invitation.
CREATE TABLE account_invitation (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    -- A second code for the same invitation, minted by the scheduler when it e-mails the
    -- invitation (the outbox holds no code): either code redeems it, once.
    delivery_code_hash bytea UNIQUE CHECK (length(delivery_code_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    redeemed_at timestamptz,
    voided_at timestamptz,
    CHECK (redeemed_at IS NULL OR voided_at IS NULL)
);
CREATE UNIQUE INDEX account_invitation_one_open ON account_invitation (account_id)
    WHERE redeemed_at IS NULL AND voided_at IS NULL;

-- A bureau serves one intergovernmental body and reviews slates only of forums whose issue
-- reports to it (policy_issue.reports_to). Bureau roles made before this have no body and
-- review nothing until the secretariat names it (PATCH /accounts/{id}).
ALTER TABLE account_role ADD COLUMN body text CHECK (length(body) BETWEEN 1 AND 300);
ALTER TABLE account_role ADD CHECK (role = 'bureau' OR body IS NULL);
ALTER TABLE account_role DROP CONSTRAINT account_role_account_id_role_network_id_organisation_id_key;
ALTER TABLE account_role ADD UNIQUE NULLS NOT DISTINCT (account_id, role, network_id, organisation_id, body);

-- Membership is by consent: a network asks, the organisation's contact (or the secretariat)
-- accepts. Only accepted memberships count (member numbers, speaking time, nominations).
ALTER TABLE network_member ADD COLUMN status text NOT NULL DEFAULT 'accepted' CHECK (status IN ('requested', 'accepted'));
ALTER TABLE network_member ADD COLUMN accepted_at timestamptz;
UPDATE network_member SET accepted_at = joined_at;
ALTER TABLE network_member ADD CHECK ((status = 'accepted') = (accepted_at IS NOT NULL));
ALTER TABLE network_member ALTER COLUMN status SET DEFAULT 'requested';
CREATE INDEX network_member_pending ON network_member (organisation_id) WHERE status = 'requested';

-- Public audit entries name the actor's role, never the account or token.
ALTER TABLE audit_entry ADD COLUMN actor_role text;
-- Entries written before: the command line and background jobs by their token names, accounts
-- by their most senior role now.
UPDATE audit_entry e SET actor_role = CASE
    WHEN e.account_id IS NULL AND e.token_name = 'command line' THEN 'secretariat'
    WHEN e.account_id IS NULL THEN 'system'
    ELSE coalesce((SELECT r.role FROM account_role r WHERE r.account_id = e.account_id
                   ORDER BY array_position(ARRAY['secretariat', 'bureau', 'network', 'organisation', 'participant'], r.role) LIMIT 1),
                  'participant')
    END;
CREATE INDEX audit_entry_public ON audit_entry (id) WHERE public;

-- Leaving a stage needs a forum of it concluded since the issue last entered the stage.
ALTER TABLE forum ADD COLUMN concluded_at timestamptz;
-- The conclusion's own audit entry tells when; updated_at is a fallback (it may be later).
UPDATE forum f SET concluded_at = coalesce(
    -- Object ids are written as Swift writes UUIDs (upper case).
    (SELECT max(a.at) FROM audit_entry a WHERE a.object_type = 'forum' AND a.object_id IN (upper(f.id::text), f.id::text)
                                           AND a.action = 'forum.conclude'),
    f.updated_at)
WHERE f.status = 'concluded';
ALTER TABLE forum ADD CHECK ((status = 'concluded') = (concluded_at IS NOT NULL));

-- Each claim of an idempotency key is its own: an answer is written only by the request that
-- holds the claim, so a retry that took over an abandoned claim cannot be answered by the first.
ALTER TABLE idempotency_key ADD COLUMN claim uuid NOT NULL DEFAULT gen_random_uuid();

-- Per-request lookups that had no index.
CREATE INDEX nomination_person ON nomination (person_id, network_id) WHERE withdrawn_at IS NULL;
CREATE INDEX organisation_name ON organisation (name, id);
