-- Workspace for civil society (DESIGN §4; the report, ¶145): rooms of a forum's venue offered
-- as workspace for the forum's dates, booked by organisations in whole slots. PostgreSQL itself
-- refuses two active bookings of one room at once, and a booking in a room a session holds.

-- What a room offers as workspace. Opening hours are per weekday, in the venue's zone:
-- {"monday": {"opens": "09:00", "closes": "18:00"}, …}; a day not named is closed.
ALTER TABLE room
    ADD COLUMN bookable boolean NOT NULL DEFAULT false,
    ADD COLUMN equipment text[] NOT NULL DEFAULT '{}'
        CHECK (equipment <@ ARRAY['computers', 'internet', 'projector', 'interpretation_booths', 'printer']),
    ADD COLUMN opening_hours jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(opening_hours) = 'object');

-- A forum's offer: when booking is open, the rules, and the optional priority window (the first
-- `priority_hours` after opening are for organisations from developing countries or from the
-- constituencies listed as under-represented at this forum).
CREATE TABLE workspace_offer (
    forum_id uuid PRIMARY KEY REFERENCES forum (id),
    booking_opens_at timestamptz NOT NULL,
    booking_closes_at timestamptz NOT NULL,
    slot_minutes integer NOT NULL DEFAULT 30 CHECK (slot_minutes IN (15, 20, 30, 60)),
    max_booking_minutes integer NOT NULL DEFAULT 120 CHECK (max_booking_minutes BETWEEN 15 AND 1440),
    max_daily_minutes integer NOT NULL DEFAULT 240 CHECK (max_daily_minutes BETWEEN 15 AND 1440),
    priority_hours integer NOT NULL DEFAULT 0 CHECK (priority_hours BETWEEN 0 AND 720),
    under_represented text[] NOT NULL DEFAULT '{}',
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workspace_offer_window CHECK (booking_closes_at > booking_opens_at),
    CONSTRAINT workspace_offer_whole_slots CHECK (max_booking_minutes % slot_minutes = 0 AND max_daily_minutes % slot_minutes = 0)
);

-- The rooms a forum offers.
CREATE TABLE workspace_room (
    forum_id uuid NOT NULL REFERENCES workspace_offer (forum_id),
    room_id uuid NOT NULL REFERENCES room (id),
    PRIMARY KEY (forum_id, room_id)
);
CREATE INDEX workspace_room_room ON workspace_room (room_id);

-- A booking. Never deleted: a cancelled or released one stays, for the audit and the owner.
-- `local_day` is the booking's date at the venue, which the daily quota counts by.
CREATE TABLE workspace_booking (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    forum_id uuid NOT NULL REFERENCES workspace_offer (forum_id),
    -- The room, not the offer's row: a room can leave the offer when its bookings are over,
    -- and they stay. That it is offered is checked when booking, under a lock on the offer's row.
    room_id uuid NOT NULL REFERENCES room (id),
    organisation_id uuid NOT NULL REFERENCES organisation (id),
    during tstzrange NOT NULL,
    local_day date NOT NULL,
    attendees integer NOT NULL CHECK (attendees BETWEEN 1 AND 100000),
    status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'checked_in', 'cancelled', 'released')),
    booked_by uuid REFERENCES account (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    checked_in_at timestamptz,
    ended_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    CONSTRAINT workspace_booking_range CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)
                                              AND NOT lower_inf(during) AND NOT upper_inf(during)),
    CONSTRAINT workspace_booking_ended CHECK ((status IN ('cancelled', 'released')) = (ended_at IS NOT NULL)),
    -- One room, one active booking at a time: the guarantee, whatever the application does.
    CONSTRAINT workspace_booking_room_free EXCLUDE USING gist (room_id WITH =, during WITH &&)
        WHERE (status IN ('booked', 'checked_in'))
);
CREATE INDEX workspace_booking_quota ON workspace_booking (organisation_id, local_day) WHERE status IN ('booked', 'checked_in');
CREATE INDEX workspace_booking_unchecked ON workspace_booking (lower(during)) WHERE status = 'booked';
CREATE INDEX workspace_booking_forum ON workspace_booking (forum_id, organisation_id, lower(during));

-- Bookings hold their forum's offer shared (pg_advisory_xact_lock_shared), changes of the offer
-- or of one of its rooms hold it alone: advisory locks are granted in turn, so a change is not
-- starved by a rush of bookings, and no booking is made against an offer being changed.
CREATE FUNCTION workspace_offer_key(forum uuid) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended('agora.workspace-offer:' || forum::text, 0)
$$;

-- A room is either a session's or a booking's at any moment. Two tables cannot share an
-- exclusion constraint, so both sides take one lock per room (a transaction-scoped advisory
-- lock) before they look at the other table: a booking and a session racing for one room queue.
-- The look after the lock sees what the other side committed because it is a new statement of
-- a READ COMMITTED transaction, as every writer of these tables runs (a REPEATABLE READ writer
-- would look with its older snapshot).
CREATE FUNCTION lock_room(room uuid) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('agora.room:' || room::text, 0))
$$;

CREATE FUNCTION workspace_booking_room_without_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only a booking that starts holding the room, or holds it elsewhen or elsewhere, is checked:
    -- a check-in or a cancellation takes no lock.
    IF NEW.status IN ('booked', 'checked_in')
       AND (TG_OP = 'INSERT' OR OLD.status NOT IN ('booked', 'checked_in') OR NEW.during <> OLD.during OR NEW.room_id <> OLD.room_id) THEN
        PERFORM lock_room(NEW.room_id);
        IF EXISTS (SELECT 1 FROM agenda_session s
                   WHERE s.room_id = NEW.room_id AND s.status = 'scheduled' AND s.during && NEW.during) THEN
            RAISE EXCEPTION 'a session of the agenda holds the room then' USING ERRCODE = 'exclusion_violation',
                CONSTRAINT = 'workspace_booking_room_free', TABLE = 'workspace_booking';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER workspace_booking_room_without_session BEFORE INSERT OR UPDATE OF during, room_id, status ON workspace_booking
    FOR EACH ROW EXECUTE FUNCTION workspace_booking_room_without_session();

CREATE FUNCTION agenda_session_room_not_booked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'scheduled' THEN
        PERFORM lock_room(NEW.room_id);
        IF EXISTS (SELECT 1 FROM workspace_booking b
                   WHERE b.room_id = NEW.room_id AND b.status IN ('booked', 'checked_in') AND b.during && tstzrange(NEW.starts_at, NEW.ends_at, '[)')) THEN
            RAISE EXCEPTION 'the room is booked as workspace then' USING ERRCODE = 'exclusion_violation',
                CONSTRAINT = 'agenda_session_room_booked', TABLE = 'agenda_session';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- `during` is generated, so before the row is written it is not there yet: the trigger reads
-- the columns it is made of.
CREATE TRIGGER agenda_session_room_not_booked BEFORE INSERT OR UPDATE OF starts_at, ends_at, room_id, status ON agenda_session
    FOR EACH ROW EXECUTE FUNCTION agenda_session_room_not_booked();

-- A forum offering workspace keeps its venue: its rooms, slots and days are the venue's.
CREATE FUNCTION forum_keeps_its_workspace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.venue_id <> OLD.venue_id AND EXISTS (SELECT 1 FROM workspace_room WHERE forum_id = NEW.id) THEN
        RAISE EXCEPTION 'the forum offers rooms of its venue as workspace' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'forum_workspace_at_venue', TABLE = 'forum';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER forum_keeps_its_workspace BEFORE UPDATE OF venue_id ON forum
    FOR EACH ROW EXECUTE FUNCTION forum_keeps_its_workspace();
