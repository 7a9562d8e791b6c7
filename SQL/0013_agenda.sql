-- The agenda: a forum takes place at a venue; its sessions are in the venue's rooms, each with
-- an ordered list of speakers; publishing freezes the agenda as a numbered version.

-- Forums take place at a venue (0012 made one venue of each venue forums named).
ALTER TABLE forum ADD COLUMN venue_id uuid REFERENCES venue (id);
-- Forums created after 0012 ran (which named venues inline) get their venue made now.
INSERT INTO venue (name, city, country, time_zone)
SELECT DISTINCT ON (venue_name, venue_city) venue_name, venue_city, venue_country, time_zone
FROM forum ORDER BY venue_name, venue_city, created_at
ON CONFLICT (name, city) DO NOTHING;
UPDATE forum f SET venue_id = v.id FROM venue v WHERE v.name = f.venue_name AND v.city = f.venue_city;
ALTER TABLE forum ALTER COLUMN venue_id SET NOT NULL;
ALTER TABLE forum DROP COLUMN venue_name, DROP COLUMN venue_city, DROP COLUMN venue_country, DROP COLUMN time_zone;
CREATE INDEX forum_venue ON forum (venue_id);

-- A session of a forum. Never deleted: a cancelled session stays, so apps and calendars are told.
-- `number` is the stable integer id the frab format needs beside the uuid.
CREATE TABLE agenda_session (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    forum_id uuid NOT NULL REFERENCES forum (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    format text NOT NULL CHECK (format IN ('plenary', 'panel', 'interactive_dialogue', 'side_event', 'break')),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    during tstzrange GENERATED ALWAYS AS (tstzrange(starts_at, ends_at, '[)')) STORED,
    room_id uuid NOT NULL REFERENCES room (id),
    chair_id uuid REFERENCES person (id),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    languages text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 10),
    interpretation text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interpretation) <= 10),
    status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agenda_session_ends_after_start CHECK (ends_at > starts_at),
    -- One room, one session at a time (cancelled sessions free their room).
    CONSTRAINT agenda_session_room_free EXCLUDE USING gist (room_id WITH =, during WITH &&) WHERE (status = 'scheduled')
);
CREATE INDEX agenda_session_forum ON agenda_session (forum_id, starts_at);

-- A speaking slot: its id stays the same across versions while the person keeps a place in the session.
-- `during` and `active` copy the session's, so the database itself refuses one person in two
-- overlapping sessions (in any forum); a trigger keeps them in step with the session.
CREATE TABLE session_speaker (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES agenda_session (id),
    person_id uuid NOT NULL REFERENCES person (id),
    position integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
    minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    during tstzrange NOT NULL,
    active boolean NOT NULL,
    CONSTRAINT session_speaker_once UNIQUE (session_id, person_id),
    CONSTRAINT session_speaker_position UNIQUE (session_id, position) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT session_speaker_not_double_booked EXCLUDE USING gist (person_id WITH =, during WITH &&) WHERE (active)
);
CREATE INDEX session_speaker_person ON session_speaker (person_id);

-- A session lies within its forum's dates, in a room of the forum's venue. The forum row is
-- read FOR SHARE, so a concurrent change of the forum's dates or venue waits for this session.
CREATE FUNCTION agenda_session_fits_forum() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f record;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.forum_id <> OLD.forum_id THEN
        RAISE EXCEPTION 'a session stays in its forum' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'agenda_session_forum_fixed', TABLE = 'agenda_session';
    END IF;
    SELECT starts_at, ends_at, venue_id INTO f FROM forum WHERE id = NEW.forum_id FOR SHARE;
    IF NEW.starts_at < f.starts_at OR NEW.ends_at > f.ends_at THEN
        RAISE EXCEPTION 'session outside its forum''s dates' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'agenda_session_within_forum', TABLE = 'agenda_session';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM room WHERE id = NEW.room_id AND venue_id = f.venue_id) THEN
        RAISE EXCEPTION 'room not at the forum''s venue' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'agenda_session_room_at_venue', TABLE = 'agenda_session';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER agenda_session_fits_forum BEFORE INSERT OR UPDATE OF starts_at, ends_at, room_id, forum_id ON agenda_session
    FOR EACH ROW EXECUTE FUNCTION agenda_session_fits_forum();

-- ... and the forum cannot move away from its sessions: not to other dates, not to another venue.
CREATE FUNCTION forum_keeps_its_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.venue_id <> OLD.venue_id AND EXISTS (SELECT 1 FROM agenda_session WHERE forum_id = NEW.id) THEN
        RAISE EXCEPTION 'the forum has sessions in rooms of its venue' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'forum_sessions_at_venue', TABLE = 'forum';
    END IF;
    IF EXISTS (SELECT 1 FROM agenda_session WHERE forum_id = NEW.id AND (starts_at < NEW.starts_at OR ends_at > NEW.ends_at)) THEN
        RAISE EXCEPTION 'the forum has sessions outside these dates' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'forum_sessions_within', TABLE = 'forum';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER forum_keeps_its_sessions BEFORE UPDATE OF starts_at, ends_at, venue_id ON forum
    FOR EACH ROW EXECUTE FUNCTION forum_keeps_its_sessions();

-- A slot's time and activity are always its session's, whatever a statement sets them to.
CREATE FUNCTION session_speaker_takes_session_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT during, status = 'scheduled' INTO NEW.during, NEW.active FROM agenda_session WHERE id = NEW.session_id;
    RETURN NEW;
END $$;
CREATE TRIGGER session_speaker_takes_session_time BEFORE INSERT OR UPDATE ON session_speaker
    FOR EACH ROW EXECUTE FUNCTION session_speaker_takes_session_time();

-- A session that moves or is cancelled takes its slots with it (the trigger above reads the new time).
CREATE FUNCTION agenda_session_moves_speakers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE session_speaker SET session_id = session_id WHERE session_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER agenda_session_moves_speakers AFTER UPDATE OF starts_at, ends_at, status ON agenda_session
    FOR EACH ROW EXECUTE FUNCTION agenda_session_moves_speakers();

-- A published version: the forum and venue as they were, its computed change log, and the
-- people it names. Its sessions and speakers are copied, as published, into the two tables
-- below, so an old version reads the same forever, in three statements like the draft.
CREATE TABLE agenda_version (
    forum_id uuid NOT NULL REFERENCES forum (id),
    number integer NOT NULL CHECK (number >= 1),
    name text CHECK (length(name) BETWEEN 1 AND 200),
    comment text CHECK (length(comment) <= 5000),
    published_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    venue_id uuid NOT NULL REFERENCES venue (id),
    venue_name text NOT NULL,
    venue_city text NOT NULL,
    venue_country char(2) NOT NULL,
    time_zone text NOT NULL,
    changes jsonb NOT NULL,
    people uuid[] NOT NULL,
    PRIMARY KEY (forum_id, number)
);
CREATE INDEX agenda_version_people ON agenda_version USING gin (people);

-- A session as a version published it; the chair is copied with their name and organisation.
CREATE TABLE agenda_version_session (
    forum_id uuid NOT NULL,
    version integer NOT NULL,
    id uuid NOT NULL,
    number bigint NOT NULL,
    title text NOT NULL,
    format text NOT NULL,
    status text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    room_id uuid NOT NULL,
    room_name text NOT NULL,
    chair_id uuid,
    chair_name text,
    chair_country char(2),
    chair_organisation_id uuid,
    chair_organisation_name text,
    chair_constituency text,
    description text NOT NULL,
    languages text[] NOT NULL,
    interpretation text[] NOT NULL,
    sequence integer NOT NULL,
    session_version integer NOT NULL,
    PRIMARY KEY (forum_id, version, id),
    FOREIGN KEY (forum_id, version) REFERENCES agenda_version (forum_id, number)
);

-- A speaking slot as a version published it, with the speaker's name, organisation, constituency and country then.
CREATE TABLE agenda_version_speaker (
    forum_id uuid NOT NULL,
    version integer NOT NULL,
    session_id uuid NOT NULL,
    id uuid NOT NULL,
    position integer NOT NULL,
    minutes integer NOT NULL,
    person_id uuid NOT NULL,
    person_name text NOT NULL,
    person_country char(2) NOT NULL,
    organisation_id uuid,
    organisation_name text,
    constituency text,
    PRIMARY KEY (forum_id, version, session_id, position),
    FOREIGN KEY (forum_id, version, session_id) REFERENCES agenda_version_session (forum_id, version, id)
);

-- Every server drops what it cached of a forum's agenda when a version is published.
CREATE FUNCTION agenda_version_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agora_agenda_published', NEW.forum_id::text || ':' || NEW.number::text);
    RETURN NULL;
END $$;
CREATE TRIGGER agenda_version_published AFTER INSERT ON agenda_version
    FOR EACH ROW EXECUTE FUNCTION agenda_version_published();
