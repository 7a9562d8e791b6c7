-- Who takes part in a forum: invited people at round tables (their cap held by the database),
-- registered people elsewhere; partners and their commitments in partnerships; and the
-- transmission of a hearing's proceedings to the issue's intergovernmental body.

-- Kept by the invitation trigger below; the CHECK is what holds a round table's cap, even
-- against concurrent acceptances: each one updates this row, so they queue on its lock.
ALTER TABLE forum ADD COLUMN accepted_count integer NOT NULL DEFAULT 0 CHECK (accepted_count >= 0);
ALTER TABLE forum ADD CONSTRAINT forum_participant_cap CHECK (participant_cap IS NULL OR accepted_count <= participant_cap);

CREATE TABLE invitation (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES forum (id),
    person_id uuid NOT NULL REFERENCES person (id),
    status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted', 'declined')),
    invited_at timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    UNIQUE (forum_id, person_id)
);

CREATE FUNCTION invitation_count_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta integer := 0;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'accepted' THEN delta := delta - 1; END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'accepted' THEN delta := delta + 1; END IF;
    IF delta <> 0 THEN
        UPDATE forum SET accepted_count = accepted_count + delta, version = version + 1, updated_at = now()
            WHERE id = COALESCE(NEW.forum_id, OLD.forum_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER invitation_accepted AFTER INSERT OR UPDATE OF status OR DELETE ON invitation
    FOR EACH ROW EXECUTE FUNCTION invitation_count_accepted();

-- Organisations register their people for conferences, partnerships and hearings; the
-- secretariat approves. A person is registered once per forum.
CREATE TABLE registration (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES forum (id),
    person_id uuid NOT NULL REFERENCES person (id),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    status text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'approved')),
    registered_at timestamptz NOT NULL DEFAULT now(),
    approved_at timestamptz,
    CHECK ((status = 'approved') = (approved_at IS NOT NULL)),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (forum_id, person_id)
);

-- Partner organisations of a partnership forum, with their role in it.
CREATE TABLE partner (
    forum_id uuid NOT NULL REFERENCES forum (id),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    role text NOT NULL CHECK (length(role) BETWEEN 1 AND 300),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forum_id, organisation_id)
);

-- What a partner has committed to deliver; a hearing on the same issue cites these as evidence.
CREATE TABLE commitment (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    FOREIGN KEY (forum_id, organisation_id) REFERENCES partner (forum_id, organisation_id),
    deliverable text NOT NULL CHECK (length(deliverable) BETWEEN 1 AND 2000),
    due_on date NOT NULL,
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'on_track', 'delayed', 'done', 'dropped')),
    evidence text CHECK (evidence ~ '^https?://' AND length(evidence) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX commitment_forum ON commitment (forum_id, due_on);

-- A hearing's proceedings, transmitted once to the body the issue reports to, and later acknowledged.
CREATE TABLE transmission (
    forum_id uuid PRIMARY KEY REFERENCES forum (id),
    body text NOT NULL,
    document_reference text NOT NULL CHECK (length(document_reference) BETWEEN 1 AND 200),
    transmitted_on date NOT NULL,
    -- The proceedings as sent: later changes to commitments or the issue do not alter them.
    document jsonb NOT NULL,
    transmitted_by uuid REFERENCES account (id) ON DELETE SET NULL,
    transmitted_by_token text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_on date,
    acknowledgement text CHECK (length(acknowledgement) BETWEEN 1 AND 2000),
    CHECK ((acknowledged_on IS NULL) = (acknowledgement IS NULL)),
    CHECK (acknowledged_on IS NULL OR acknowledged_on >= transmitted_on)
);
