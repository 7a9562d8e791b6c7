-- Venues become first-class, with their rooms (the agenda puts sessions in rooms; workspace booking will book them).
CREATE TABLE venue (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    city text NOT NULL CHECK (length(city) BETWEEN 1 AND 200),
    country char(2) NOT NULL REFERENCES country (alpha2),
    -- An IANA zone; the API checks it against the zones the server knows.
    time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    UNIQUE (name, city)
);

CREATE TABLE room (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    venue_id uuid NOT NULL REFERENCES venue (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    accessibility text NOT NULL DEFAULT '' CHECK (length(accessibility) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (venue_id, name)
);

-- The venues forums name today, so they can be given rooms; forums are linked to them with the agenda.
-- Forums at one name and city that disagree on country or zone: the earliest forum's are kept.
INSERT INTO venue (name, city, country, time_zone)
SELECT DISTINCT ON (venue_name, venue_city) venue_name, venue_city, venue_country, time_zone
FROM forum ORDER BY venue_name, venue_city, created_at;
