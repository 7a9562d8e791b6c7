-- Policy issues move through a life cycle of stages, each served by one kind of forum; every transition is kept with who, when and why.
CREATE TABLE policy_issue (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    summary text NOT NULL DEFAULT '' CHECK (length(summary) <= 10000),
    -- The intergovernmental body the issue reports to, e.g. 'Economic and Social Council'.
    reports_to text NOT NULL CHECK (length(reports_to) BETWEEN 1 AND 300),
    -- Free tags such as an SDG code.
    goals text[] NOT NULL DEFAULT '{}',
    stage text NOT NULL DEFAULT 'emerging'
        CHECK (stage IN ('emerging', 'norm_setting', 'implementation', 'review', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);

CREATE TABLE issue_transition (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id uuid NOT NULL REFERENCES policy_issue (id) ON DELETE CASCADE,
    from_stage text NOT NULL,
    to_stage text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('forward', 'course_correction', 'norm_revision', 'closure')),
    reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 5000),
    account_id uuid REFERENCES account (id) ON DELETE SET NULL,
    token_name text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_transition_issue ON issue_transition (issue_id, id);

-- A forum of an issue: its kind is fixed by the stage it serves; times are instants with the venue's IANA zone kept beside them; 'concluded' means its outcome is recorded.
CREATE TABLE forum (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issue_id uuid NOT NULL REFERENCES policy_issue (id),
    kind text NOT NULL CHECK (kind IN ('round_table', 'conference', 'partnership', 'hearing')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    venue_name text NOT NULL CHECK (length(venue_name) BETWEEN 1 AND 300),
    venue_city text NOT NULL CHECK (length(venue_city) BETWEEN 1 AND 200),
    venue_country char(2) NOT NULL REFERENCES country (alpha2),
    -- IANA time zone of the venue, e.g. 'Europe/Geneva' (validated by the application).
    time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    CHECK (ends_at > starts_at),
    nominations_deadline timestamptz,
    speaking_slots integer CHECK (speaking_slots > 0),
    speaking_minutes integer CHECK (speaking_minutes > 0),
    -- Round tables are by invitation, with a cap (default 40).
    participant_cap integer CHECK (participant_cap > 0),
    -- Hearings are chaired by a named official.
    chair text CHECK (length(chair) BETWEEN 1 AND 300),
    CHECK (kind <> 'hearing' OR chair IS NOT NULL),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'announced', 'nominations_open',
        'nominations_closed', 'agenda_published', 'held', 'concluded')),
    outcome jsonb,
    CHECK ((status = 'concluded') = (outcome IS NOT NULL)),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX forum_issue ON forum (issue_id, kind, status);
