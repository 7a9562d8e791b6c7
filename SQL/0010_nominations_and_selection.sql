-- Speaker selection: networks nominate people for a forum, the solver proposes a slate
-- (kept in versions), the secretariat may override places with a public justification, the
-- bureau approves or returns it, and chosen speakers confirm or decline. What would be sent is
-- written to the notices outbox in the same transaction, for the scheduler.

-- An account may be a person of the directory (a committee member who could be nominated).
ALTER TABLE account ADD COLUMN person_id uuid REFERENCES person (id);

-- The forum's selection committee: its members cannot be nominated for it.
CREATE TABLE selection_committee (
    forum_id uuid NOT NULL REFERENCES forum (id),
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    PRIMARY KEY (forum_id, account_id)
);

CREATE TABLE nomination (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES forum (id),
    network_id uuid NOT NULL REFERENCES network (id),
    person_id uuid NOT NULL REFERENCES person (id),
    -- 1 is the network's first choice; unique among the network's active nominations for the forum
    -- (checked at commit, so two nominations can swap ranks in one transaction).
    -- A network ranks at most 25 people per forum (keeps the solver's arithmetic exact).
    rank integer NOT NULL CHECK (rank BETWEEN 1 AND 25),
    statement text NOT NULL CHECK (length(statement) BETWEEN 1 AND 2000),
    withdrawn_at timestamptz,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CONSTRAINT nomination_rank_unique EXCLUDE USING btree (forum_id WITH =, network_id WITH =, rank WITH =)
        WHERE (withdrawn_at IS NULL) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT nomination_person_unique EXCLUDE USING btree (forum_id WITH =, network_id WITH =, person_id WITH =)
        WHERE (withdrawn_at IS NULL)
);
CREATE INDEX nomination_forum ON nomination (forum_id, network_id, rank);

-- A version of a forum's slate: the rules asked for and applied, the solver's instance and
-- result, and where its review stands.
CREATE TABLE slate (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES forum (id),
    -- 1, 2, … per forum: each run of the solver that is kept.
    number integer NOT NULL,
    UNIQUE (forum_id, number),
    rules jsonb NOT NULL,
    applied jsonb NOT NULL,
    instance jsonb NOT NULL,
    result jsonb NOT NULL,
    -- Nominations waiting, in order, to take a declined place.
    reserves uuid[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'returned')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES account (id) ON DELETE SET NULL,
    review_comment text CHECK (length(review_comment) <= 5000),
    reviewed_at timestamptz,
    reviewed_by uuid REFERENCES account (id) ON DELETE SET NULL,
    -- Chosen speakers who have not answered by then are treated as declining.
    confirm_by timestamptz,
    revision integer NOT NULL DEFAULT 1
);
-- A forum has one approved slate.
CREATE UNIQUE INDEX slate_one_approved ON slate (forum_id) WHERE status = 'approved';

-- The places of a slate: who holds each, for how long, and whether they confirmed.
CREATE TABLE slate_speaker (
    slate_id uuid NOT NULL REFERENCES slate (id) ON DELETE CASCADE,
    nomination_id uuid NOT NULL REFERENCES nomination (id),
    place integer NOT NULL CHECK (place >= 1),
    minutes integer NOT NULL CHECK (minutes >= 1),
    state text NOT NULL DEFAULT 'chosen' CHECK (state IN ('chosen', 'confirmed', 'declined')),
    -- Set when the secretariat put this speaker in by hand; the justification is public.
    override_justification text CHECK (length(override_justification) BETWEEN 1 AND 2000),
    replaced_nomination uuid REFERENCES nomination (id),
    -- Asked to confirm by then (each speaker their own time: a replacement is asked later).
    confirm_by timestamptz,
    answered_at timestamptz,
    PRIMARY KEY (slate_id, nomination_id)
);

-- What would be sent, for the scheduler to deliver: written in the transaction of the change
-- that causes it; `dedupe_key` keeps a retried change from sending twice.
CREATE TABLE notice (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_person uuid REFERENCES person (id),
    recipient_account uuid REFERENCES account (id) ON DELETE SET NULL,
    CHECK (recipient_person IS NOT NULL OR recipient_account IS NOT NULL),
    channel text NOT NULL DEFAULT 'email' CHECK (channel IN ('email')),
    kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    payload jsonb NOT NULL DEFAULT '{}',
    due_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    dedupe_key text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX notice_due ON notice (due_at) WHERE status = 'pending';
