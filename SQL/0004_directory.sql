-- The directory: networks of one constituency, organisations (members of networks), and people; version counts changes for ETags.
CREATE TABLE organisation (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    country char(2) NOT NULL REFERENCES country (alpha2),
    constituency text NOT NULL REFERENCES constituency (code),
    -- e.g. 'ECOSOC consultative status (special)'; NULL when not accredited.
    accreditation text CHECK (length(accreditation) BETWEEN 1 AND 300),
    accredited_on date,
    CHECK (accredited_on IS NULL OR accreditation IS NOT NULL),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX organisation_country ON organisation (country);
CREATE INDEX organisation_constituency ON organisation (constituency);

CREATE TABLE network (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 300),
    constituency text NOT NULL REFERENCES constituency (code),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    website text CHECK (website ~ '^https?://'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);

-- Membership is the only source of a network's member count (never typed in).
CREATE TABLE network_member (
    network_id uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network_id, organisation_id)
);
CREATE INDEX network_member_organisation ON network_member (organisation_id);

CREATE TABLE person (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    organisation_id uuid REFERENCES organisation (id),
    country char(2) NOT NULL REFERENCES country (alpha2),
    languages text[] NOT NULL DEFAULT '{}',
    -- Self-described and optional: 'woman', 'man', another word, or NULL (not stated).
    gender text CHECK (length(gender) BETWEEN 1 AND 100),
    email text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX person_organisation ON person (organisation_id);
