import Agora
import Foundation
import PostgresClient
import Synchronization

/// Workspace for civil society (DESIGN §4): a forum's offer of rooms, and the organisations'
/// bookings of them. PostgreSQL holds the guarantees: an exclusion constraint keeps two active
/// bookings of a room apart, a per-room lock keeps bookings and sessions apart, and a
/// per-organisation-day lock makes the daily quota hold under concurrent requests.
public struct WorkspaceStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    /// A forum's offer as the secretariat sets it (`PUT /forums/{id}/workspaces`).
    public struct OfferFields: Sendable {
        public var rooms: [UUID]
        public var bookingOpensAt: Date
        public var bookingClosesAt: Date
        public var rules: WorkspaceRules
        public var priorityWindow: PriorityWindow?

        public init(rooms: [UUID], bookingOpensAt: Date, bookingClosesAt: Date, rules: WorkspaceRules, priorityWindow: PriorityWindow?) {
            self.rooms = rooms
            self.bookingOpensAt = bookingOpensAt
            self.bookingClosesAt = bookingClosesAt
            self.rules = rules
            self.priorityWindow = priorityWindow
        }
    }

    /// A booking as asked for.
    public struct BookingRequest: Sendable {
        public var forum: UUID
        public var room: UUID
        public var organisation: UUID
        public var startsAt: Date
        public var endsAt: Date
        public var attendees: Int

        public init(forum: UUID, room: UUID, organisation: UUID, startsAt: Date, endsAt: Date, attendees: Int) {
            self.forum = forum
            self.room = room
            self.organisation = organisation
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.attendees = attendees
        }
    }

    /// One room's day: its slots, each free or busy.
    public struct DayGrid: Sendable {
        public var room: WorkspaceRoom
        public var slots: [(startsAt: Date, endsAt: Date, busy: Bool)]
    }

    // MARK: The offer

    /// The forum's offer; nil when it offers no workspace.
    public func offer(forum: UUID) async throws -> WorkspaceOffer? {
        try await pool.withConnection { try await Self.offer(forum, on: $0)?.0.offer }
    }

    /// Sets the forum's offer. Rooms must be bookable rooms of the forum's venue; a room with
    /// active bookings stays in the offer (409) until they are cancelled.
    public func setOffer(forum: UUID, _ fields: OfferFields, expectedVersion: Int? = nil, by actor: Actor, requestID: String?) async throws -> WorkspaceOffer {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard let venue = try await connection.query("SELECT venue_id FROM forum WHERE id = \(forum) FOR SHARE").first?
                    .decode("venue_id", as: UUID.self) else { throw Refusal.notFound() }
                let known = try await connection.query("""
                    SELECT id, venue_id, bookable FROM room WHERE id = ANY(\(fields.rooms)) FOR SHARE
                    """).map { (try $0.decode("id", as: UUID.self), try $0.decode("venue_id", as: UUID.self), try $0.decode("bookable", as: Bool.self)) }
                var problems: [FieldProblem] = []
                for (index, room) in fields.rooms.enumerated() {
                    guard let found = known.first(where: { $0.0 == room }), found.1 == venue else {
                        problems.append(FieldProblem(field: "rooms[\(index)]", message: "is not a room of the forum's venue"))
                        continue
                    }
                    if !found.2 { problems.append(FieldProblem(field: "rooms[\(index)]", message: "is not bookable (PATCH /rooms/{id} with bookable: true)")) }
                }
                let constituencies = Set(try await connection.query("SELECT code FROM constituency").map { try $0.decode("code", as: String.self) })
                for (index, code) in (fields.priorityWindow?.underRepresented ?? []).enumerated() where !constituencies.contains(code) {
                    problems.append(FieldProblem(field: "priorityWindow.underRepresented[\(index)]", message: "is not a known constituency code"))
                }
                guard problems.isEmpty else { throw Refusal.invalid(problems) }
                // Bookings hold the offer shared: changing it waits for them, and they for it.
                try await connection.execute("SELECT pg_advisory_xact_lock(workspace_offer_key(\(forum)))")
                let before = try await Self.offer(forum, on: connection, remember: false)?.0.offer
                if let expectedVersion, expectedVersion != (before?.version ?? 0) { throw Refusal.stale(currentVersion: before?.version ?? 0) }
                let dropped = Set(before?.rooms.map(\.id) ?? []).subtracting(fields.rooms)
                let stillBooked = try await connection.query("""
                    SELECT DISTINCT room_id FROM workspace_booking
                    WHERE forum_id = \(forum) AND room_id = ANY(\(Array(dropped))) AND status IN ('booked', 'checked_in') AND upper(during) > now()
                    ORDER BY room_id
                    """).map { try $0.decode("room_id", as: UUID.self) }
                guard stillBooked.isEmpty else { throw Refusal.workspaceRoomBooked(stillBooked) }
                try await connection.execute("""
                    INSERT INTO workspace_offer (forum_id, booking_opens_at, booking_closes_at, slot_minutes, max_booking_minutes,
                                                 max_daily_minutes, priority_hours, under_represented)
                    VALUES (\(forum), \(fields.bookingOpensAt), \(fields.bookingClosesAt), \(fields.rules.slotMinutes), \(fields.rules.maxBookingMinutes),
                            \(fields.rules.maxDailyMinutes), \(fields.priorityWindow?.hours ?? 0), \(fields.priorityWindow?.underRepresented ?? []))
                    ON CONFLICT (forum_id) DO UPDATE SET
                        booking_opens_at = EXCLUDED.booking_opens_at, booking_closes_at = EXCLUDED.booking_closes_at,
                        slot_minutes = EXCLUDED.slot_minutes, max_booking_minutes = EXCLUDED.max_booking_minutes,
                        max_daily_minutes = EXCLUDED.max_daily_minutes, priority_hours = EXCLUDED.priority_hours,
                        under_represented = EXCLUDED.under_represented,
                        version = workspace_offer.version + 1, updated_at = now()
                    """)
                try await connection.execute("DELETE FROM workspace_room WHERE forum_id = \(forum) AND room_id <> ALL(\(fields.rooms))")
                try await connection.execute("""
                    INSERT INTO workspace_room (forum_id, room_id) SELECT \(forum), unnest(\(fields.rooms)::uuid[]) ON CONFLICT DO NOTHING
                    """)
                guard let offer = try await Self.offer(forum, on: connection, remember: false)?.0.offer else { throw Refusal.notFound() }
                try await AuditLog.record(
                    AuditChange(action: "workspace.offer", objectType: "forum", objectID: forum.uuidString,
                                before: before.map(Self.snapshot), after: Self.snapshot(offer), isPublic: true),
                    by: actor, requestID: requestID, on: connection)
                return offer
            }
        }
    }

    // MARK: Bookings

    /// Books a room. `scope` is the organisations the caller acts for (nil: the secretariat,
    /// which may book for any organisation, taking part in the forum or not). Every rule is
    /// checked at `now`; a room taken is refused with free slots instead.
    public func book(_ request: BookingRequest, within scope: Set<UUID>?, now: Date, by actor: Actor, requestID: String?) async throws -> WorkspaceBooking {
        if let scope, !scope.contains(request.organisation) {
            throw Refusal.invalid("organisation", "must be an organisation you are a contact of")
        }
        do {
            // An offer changed between reading it and locking it: read it again (a few times).
            for _ in 1..<3 {
                do {
                    return try await pool.withTransaction { connection in
                        try await book(request, scoped: scope != nil, now: now, by: actor, requestID: requestID, on: connection)
                    }
                } catch is OfferChanged {
                    continue
                }
            }
            return try await pool.withTransaction { connection in
                try await book(request, scoped: scope != nil, now: now, by: actor, requestID: requestID, on: connection)
            }
        } catch is OfferChanged {
            throw Refusal.databaseBusy
        } catch let taken as RoomTaken {
            // Looked up once the transaction is over.
            throw Refusal.bookingConflict(alternatives: try await alternatives(to: request, check: taken.check, now: now))
        } catch let error as PostgresError where error.code == .exclusionViolation && error.constraint == "workspace_booking_room_free" {
            // A session or a booking holds the room (the trigger or the constraint saw it). The
            // alternatives are looked up once the transaction is over, not under the room's lock.
            guard let (stored, _) = try await pool.withConnection({ try await Self.offer(request.forum, on: $0) }) else { throw Refusal.bookingConflict(alternatives: []) }
            throw Refusal.bookingConflict(alternatives: try await alternatives(to: request, check: stored.check, now: now))
        }
    }

    /// The offer changed after it was read for a booking.
    private struct OfferChanged: Error {}

    /// The room asked for is held: the booking is refused once the transaction is over.
    private struct RoomTaken: Error {
        let check: BookingRequestCheck
    }

    /// Whether an active booking or a scheduled session holds `room` at some time in the range.
    static func isTaken(_ room: UUID, from start: Date, to end: Date, on connection: PostgresConnection) async throws -> Bool {
        !(try await connection.query("""
            SELECT 1 FROM workspace_booking WHERE room_id = \(room) AND status IN ('booked', 'checked_in')
              AND during && tstzrange(\(start), \(end), '[)')
            UNION ALL
            SELECT 1 FROM agenda_session WHERE room_id = \(room) AND status = 'scheduled' AND during && tstzrange(\(start), \(end), '[)')
            LIMIT 1
            """)).isEmpty
    }

    /// Free slots instead of `request`: the same room from then on, the others at that time.
    private func alternatives(to request: BookingRequest, check: BookingRequestCheck, now: Date) async throws -> [BookingAlternative] {
        guard let room = check.offer.rooms.first(where: { $0.id == request.room }) else { return [] }
        // The asked room from then on (for later slots); the others at that time only.
        let busy = try await pool.withConnection { connection in
            try await Self.busy(rooms: check.offer.rooms.map(\.id), from: request.startsAt, to: request.endsAt, onwardIn: room.id, on: connection)
        }
        return check.alternatives(room: room, start: request.startsAt, end: request.endsAt, attendees: request.attendees, now: now, busy: busy)
    }

    private func book(_ request: BookingRequest, scoped: Bool, now: Date, by actor: Actor, requestID: String?,
                      on connection: PostgresConnection) async throws -> WorkspaceBooking {
        guard let (stored, standing) = try await Self.offer(request.forum, on: connection, organisation: request.organisation) else {
            throw Refusal.notFound("This forum offers no workspace.")
        }
        let check = stored.check
        guard let room = stored.offer.rooms.first(where: { $0.id == request.room }) else {
            throw Refusal.invalid("room", "is not a room this forum offers as workspace")
        }
        let problems = check.problems(room: room, start: request.startsAt, end: request.endsAt, attendees: request.attendees, now: now)
        guard problems.isEmpty else { throw Refusal.invalid(problems) }
        guard let standing else { throw Refusal.invalid("organisation", "is not a known organisation") }
        let priority = standing.developing || (stored.offer.priorityWindow?.underRepresented.contains(standing.constituency) ?? false)
        if let refusal = check.windowRefusal(now: now, hasPriority: priority) { throw refusal }
        if scoped, !standing.participating { throw Refusal.organisationNotParticipating }
        // Most refusals in a rush are for a room already held: seen here without a lock, they
        // cost no insert. What this look misses, the insert's trigger and constraint refuse.
        if try await Self.isTaken(room.id, from: request.startsAt, to: request.endsAt, on: connection) { throw RoomTaken(check: check) }

        // The offer is held shared (a change of it waits, and is not starved), then the
        // organisation's day alone; the insert, the statement after, sees every booking committed
        // before and inserts only if the offer is still the one read and the day has room. The
        // room's lock is taken by the insert's trigger, which refuses a room a session holds; the
        // exclusion constraint refuses one another booking holds. Locks come in this order only.
        let day = check.clock.local(request.startsAt).day
        let localDay = VenueClock.date(day: day)
        try await connection.execute("""
            SELECT pg_advisory_xact_lock_shared(workspace_offer_key(\(request.forum))),
                   pg_advisory_xact_lock(hashtextextended(\("agora.workspace-quota:\(request.organisation.uuidString):\(day)"), 0))
            """)
        let minutes = Int(request.endsAt.timeIntervalSince(request.startsAt) / 60)
        // A booking of the slot under way is made by someone who is there: it is checked in.
        let started = request.startsAt <= now
        // One statement reads the offer's version and the organisation's minutes that day, and
        // inserts only if both allow it, so a refusal says why without asking again.
        let row = try await connection.query("""
            WITH day AS (
                SELECT (SELECT version FROM workspace_offer WHERE forum_id = \(request.forum)) AS offer_version,
                       (SELECT coalesce(sum(extract(epoch FROM upper(during) - lower(during)) / 60), 0)::int FROM workspace_booking
                        WHERE organisation_id = \(request.organisation) AND forum_id = \(request.forum) AND local_day = \(localDay)::date
                          AND status IN ('booked', 'checked_in')) AS booked_minutes
            ), inserted AS (
                INSERT INTO workspace_booking (forum_id, room_id, organisation_id, during, local_day, attendees, booked_by, status, checked_in_at)
                SELECT \(request.forum), \(room.id), \(request.organisation), tstzrange(\(request.startsAt), \(request.endsAt), '[)'),
                       \(localDay)::date, \(request.attendees), \(actor.accountID),
                       \(started ? BookingStatus.checkedIn.rawValue : BookingStatus.booked.rawValue), \(started ? now : nil)
                FROM day WHERE offer_version = \(stored.offer.version) AND booked_minutes + \(minutes) <= \(stored.offer.rules.maxDailyMinutes)
                RETURNING \(unsafeRaw: Self.insertedColumns)
            )
            SELECT day.offer_version, day.booked_minutes, inserted.* FROM day LEFT JOIN inserted ON true
            """)[0]
        guard try row.decode("id", as: UUID?.self) != nil else {
            if try row.decode("offer_version", as: Int?.self) != stored.offer.version { throw OfferChanged() }
            throw Refusal.bookingQuotaExceeded(limit: stored.offer.rules.maxDailyMinutes, booked: try row.decode("booked_minutes", as: Int.self))
        }
        let booking = try Self.booking(row, roomName: room.name)
        try await AuditLog.record(
            AuditChange(action: "workspace_booking.create", objectType: "workspace_booking", objectID: booking.id.uuidString, after: Self.snapshot(booking)),
            by: actor, requestID: requestID, on: connection)
        try await Outbox.booking(booking.id, kind: .bookingConfirmed, on: connection)
        try await IdempotentAnswer.offer(booking, on: connection)
        return booking
    }

    /// One booking, if the caller may see it (`scope` nil: every booking).
    public func booking(_ id: UUID, within scope: Set<UUID>?) async throws -> WorkspaceBooking? {
        try await pool.withConnection { connection in
            guard let booking = try await Self.booking(id, on: connection), scope.map({ $0.contains(booking.organisation) }) ?? true else { return nil }
            return booking
        }
    }

    /// A forum's bookings by start, those of `scope`'s organisations only (nil: all).
    public func bookings(forum: UUID, within scope: Set<UUID>?, limit: Int, after: BookingPosition?) async throws -> [WorkspaceBooking] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.bookingColumns) FROM workspace_booking b JOIN room r ON r.id = b.room_id
            WHERE b.forum_id = \(forum) AND (\(scope.map { Array($0) })::uuid[] IS NULL OR b.organisation_id = ANY(\(scope.map { Array($0) })::uuid[]))
              AND (\(after?.at)::timestamptz IS NULL OR (lower(b.during), b.id) > (\(after?.at)::timestamptz, \(after?.id)::uuid))
            ORDER BY lower(b.during), b.id LIMIT \(limit)
            """).map(Self.booking)
    }

    /// Cancels a booking (its organisation's contact or the secretariat). Cancelling it again
    /// answers it as it is; a released or finished booking no longer changes.
    public func cancel(_ id: UUID, within scope: Set<UUID>?, now: Date, by actor: Actor, requestID: String?) async throws -> WorkspaceBooking {
        try await change(id, within: scope, by: actor, requestID: requestID, action: "workspace_booking.cancel") { booking, connection in
            if booking.status == .cancelled { return false }
            guard booking.status.isActive else { throw Refusal.bookingNotActive(booking.status) }
            guard booking.endsAt > now else { throw Refusal.bookingOver }
            try await connection.execute("""
                UPDATE workspace_booking SET status = 'cancelled', ended_at = \(now), version = version + 1 WHERE id = \(id)
                """)
            try await Outbox.booking(id, kind: .bookingCancelled, on: connection)
            return true
        }
    }

    /// Checks a booking in, from 10 minutes before its start to 15 minutes after it. Checking
    /// in again answers it as it is.
    public func checkIn(_ id: UUID, within scope: Set<UUID>?, now: Date, by actor: Actor, requestID: String?) async throws -> WorkspaceBooking {
        try await change(id, within: scope, by: actor, requestID: requestID, action: "workspace_booking.check_in") { booking, connection in
            if booking.status == .checkedIn { return false }
            guard booking.status == .booked else { throw Refusal.bookingNotActive(booking.status) }
            let opens = booking.startsAt.addingTimeInterval(-CheckIn.opensBefore), closes = booking.startsAt.addingTimeInterval(CheckIn.grace)
            guard now >= opens, now < closes else { throw Refusal.checkInNotOpen(opensAt: opens, closesAt: closes) }
            try await connection.execute("""
                UPDATE workspace_booking SET status = 'checked_in', checked_in_at = \(now), version = version + 1 WHERE id = \(id)
                """)
            return true
        }
    }

    /// Releases the bookings nobody checked in for 15 minutes after their start (as of `now`),
    /// at most `limit` per call: each freed room is bookable at once, and each organisation is
    /// told. Rows another scheduler holds are skipped, so schedulers run side by side.
    public func releaseUnchecked(now: Date, limit: Int = 500) async throws -> Int {
        let scheduler = Actor(accountID: nil, tokenName: "scheduler", grants: [])
        return try await pool.withTransaction { connection in
            let released = try await connection.query("""
                UPDATE workspace_booking SET status = 'released', ended_at = \(now), version = version + 1
                WHERE id IN (SELECT id FROM workspace_booking WHERE status = 'booked' AND lower(during) <= \(now.addingTimeInterval(-CheckIn.grace))
                             ORDER BY lower(during) LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id
                """).map { try $0.decode("id", as: UUID.self) }
            for id in released {
                guard let booking = try await Self.booking(id, on: connection) else { continue }
                try await AuditLog.record(
                    AuditChange(action: "workspace_booking.release", objectType: "workspace_booking", objectID: id.uuidString,
                                before: ["status": .string(BookingStatus.booked.rawValue)], after: Self.snapshot(booking)),
                    by: scheduler, requestID: nil, on: connection)
                try await Outbox.booking(id, kind: .bookingReleased, on: connection)
            }
            return released.count
        }
    }

    /// The free/busy grid of local day `day` (days since 1970-01-01 at the venue) for each
    /// offered room; nil when the forum offers no workspace. No booking's owner is shown.
    public func availability(forum: UUID, day: Int) async throws -> (offer: WorkspaceOffer, forumDays: ClosedRange<Int>, rooms: [DayGrid])? {
        try await pool.withConnection { connection in
            guard let (stored, _) = try await Self.offer(forum, on: connection) else { return nil }
            let check = stored.check
            let start = check.clock.startOfDay(day), end = check.clock.startOfDay(day + 1)
            let busy = try await Self.busy(rooms: stored.offer.rooms.map(\.id), from: start, to: end, on: connection)
            let rooms = stored.offer.rooms.map { room in
                DayGrid(room: room, slots: (check.forumDays.contains(day) ? check.slots(of: room, day: day) : []).map { slot in
                    let slotEnd = slot.addingTimeInterval(TimeInterval(stored.offer.rules.slotMinutes * 60))
                    return (slot, slotEnd, (busy[room.id] ?? []).contains { $0.lowerBound < slotEnd && slot < $0.upperBound })
                })
            }
            return (stored.offer, check.forumDays, rooms)
        }
    }

    // MARK: Reading

    /// Where a page of bookings ends: the last one's start and id.
    public struct BookingPosition: Codable, Sendable {
        public var at: Date
        public var id: UUID
        public init(at: Date, id: UUID) {
            self.at = at
            self.id = id
        }
    }

    struct StoredOffer {
        var offer: WorkspaceOffer
        var check: BookingRequestCheck
    }

    /// What a booking needs to know of its organisation, read with the offer.
    struct OrganisationStanding {
        var developing: Bool
        var constituency: String
        /// One of its people is registered or invited (not declined), or it is a partner.
        var participating: Bool
    }

    /// The forum's offer and what `organisation` (if given) is, in one statement. Rooms are
    /// read again only when the offer's version moved (a change of the offer or of one of its
    /// rooms moves it); a writer reading its own uncommitted change does not `remember` it, so
    /// a rollback cannot leave it cached.
    static func offer(_ forum: UUID, on connection: PostgresConnection, organisation: UUID? = nil,
                      remember: Bool = true) async throws -> (StoredOffer, OrganisationStanding?)? {
        guard let row = try await connection.query("""
            SELECT o.booking_opens_at, o.booking_closes_at, o.slot_minutes, o.max_booking_minutes, o.max_daily_minutes,
                   o.priority_hours, o.under_represented, o.version, f.starts_at, f.ends_at, v.time_zone,
                   g.developing, g.constituency, g.participating
            FROM workspace_offer o JOIN forum f ON f.id = o.forum_id JOIN venue v ON v.id = f.venue_id
            LEFT JOIN LATERAL (
                SELECT c.developing, org.constituency,
                       EXISTS (SELECT 1 FROM registration WHERE forum_id = o.forum_id AND organisation_id = org.id)
                       OR EXISTS (SELECT 1 FROM invitation i JOIN person p ON p.id = i.person_id
                                  WHERE i.forum_id = o.forum_id AND p.organisation_id = org.id AND i.status <> 'declined')
                       OR EXISTS (SELECT 1 FROM partner WHERE forum_id = o.forum_id AND organisation_id = org.id) AS participating
                FROM organisation org JOIN country c ON c.alpha2 = org.country WHERE org.id = \(organisation)
            ) g ON true
            WHERE o.forum_id = \(forum)
            """).first else { return nil }
        let version = try row.decode("version", as: Int.self)
        let rooms: [WorkspaceRoom]
        if remember, let known = offeredRooms.withLock({ $0[forum] }), known.version == version {
            rooms = known.rooms
        } else {
            rooms = try await connection.query("""
                SELECT r.\(unsafeRaw: VenueStore.roomColumns.replacingOccurrences(of: ", ", with: ", r."))
                FROM workspace_room w JOIN room r ON r.id = w.room_id WHERE w.forum_id = \(forum) ORDER BY r.name, r.id
                """).map(VenueStore.room).map {
                    WorkspaceRoom(id: $0.id, name: $0.name, capacity: $0.capacity, accessibility: $0.accessibility, equipment: $0.equipment, openingHours: $0.openingHours)
                }
            if remember {
                offeredRooms.withLock { known in
                    if known.count >= 1000 { known.removeAll() }
                    known[forum] = (version, rooms)
                }
            }
        }
        let hours = try row.decode("priority_hours", as: Int.self)
        let zone = try row.decode("time_zone", as: String.self)
        let offer = WorkspaceOffer(
            forum: forum, timeZone: zone, rooms: rooms,
            bookingOpensAt: try row.decode("booking_opens_at"), bookingClosesAt: try row.decode("booking_closes_at"),
            rules: WorkspaceRules(slotMinutes: try row.decode("slot_minutes"), maxBookingMinutes: try row.decode("max_booking_minutes"),
                                  maxDailyMinutes: try row.decode("max_daily_minutes")),
            priorityWindow: hours > 0 ? PriorityWindow(hours: hours, underRepresented: try row.decode("under_represented")) : nil,
            version: version)
        guard let clock = VenueClock(timeZone: zone) else { throw Refusal(.internalError, "the venue's time zone \(zone) is unknown") }
        let first = clock.local(try row.decode("starts_at", as: Date.self)).day
        let last = clock.local(try row.decode("ends_at", as: Date.self).addingTimeInterval(-1)).day
        let standing = try row.decode("developing", as: Bool?.self).map { developing in
            OrganisationStanding(developing: developing, constituency: try row.decode("constituency"), participating: try row.decode("participating"))
        }
        return (StoredOffer(offer: offer, check: BookingRequestCheck(offer: offer, clock: clock, forumDays: first...max(first, last))), standing)
    }

    /// Each forum's offered rooms as of an offer version.
    private static let offeredRooms = Mutex<[UUID: (version: Int, rooms: [WorkspaceRoom])]>([:])

    /// The times `rooms` are held (active bookings, scheduled sessions) that end after `start`
    /// and begin before `end` (when given), per room; room `onward` is read from `start` on
    /// without the end.
    static func busy(rooms: [UUID], from start: Date, to end: Date? = nil, onwardIn onward: UUID? = nil,
                     on connection: PostgresConnection) async throws -> [UUID: [Range<Date>]] {
        var busy: [UUID: [Range<Date>]] = [:]
        for row in try await connection.query("""
            SELECT room_id, lower(during) AS starts_at, upper(during) AS ends_at FROM workspace_booking
            WHERE room_id = ANY(\(rooms)) AND status IN ('booked', 'checked_in') AND upper(during) > \(start)
              AND (\(end)::timestamptz IS NULL OR lower(during) < \(end)::timestamptz OR room_id = \(onward))
            UNION ALL
            SELECT room_id, starts_at, ends_at FROM agenda_session
            WHERE room_id = ANY(\(rooms)) AND status = 'scheduled' AND ends_at > \(start)
              AND (\(end)::timestamptz IS NULL OR starts_at < \(end)::timestamptz OR room_id = \(onward))
            """) {
            busy[try row.decode("room_id", as: UUID.self), default: []].append(try row.decode("starts_at", as: Date.self)..<(try row.decode("ends_at", as: Date.self)))
        }
        return busy
    }

    /// A new booking's columns, as `RETURNING` gives them (the room's name is known).
    static let insertedColumns = """
        id, forum_id, room_id, organisation_id, lower(during) AS starts_at, upper(during) AS ends_at,
        attendees, status, checked_in_at, ended_at, created_at, version
        """

    static func booking(_ row: PostgresRow, roomName: String) throws -> WorkspaceBooking {
        WorkspaceBooking(id: try row.decode("id"), forum: try row.decode("forum_id"), room: try row.decode("room_id"), roomName: roomName,
                         organisation: try row.decode("organisation_id"), startsAt: try row.decode("starts_at"), endsAt: try row.decode("ends_at"),
                         attendees: try row.decode("attendees"), status: BookingStatus(rawValue: try row.decode("status")) ?? .cancelled,
                         checkedInAt: try row.decode("checked_in_at"), endedAt: try row.decode("ended_at"), createdAt: try row.decode("created_at"),
                         version: try row.decode("version"))
    }

    static let bookingColumns = """
        b.id, b.forum_id, b.room_id, r.name AS room_name, b.organisation_id, lower(b.during) AS starts_at, upper(b.during) AS ends_at,
        b.attendees, b.status, b.checked_in_at, b.ended_at, b.created_at, b.version
        """

    static func booking(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> WorkspaceBooking? {
        try await connection.query("""
            SELECT \(unsafeRaw: bookingColumns) FROM workspace_booking b JOIN room r ON r.id = b.room_id WHERE b.id = \(id)
            \(unsafeRaw: lock ? "FOR UPDATE OF b" : "")
            """).first.map(booking)
    }

    static func booking(_ row: PostgresRow) throws -> WorkspaceBooking {
        try booking(row, roomName: try row.decode("room_name"))
    }

    /// A change of one booking, locked, within the caller's scope (another's is not found),
    /// audited when `apply` changed it.
    private func change(_ id: UUID, within scope: Set<UUID>?, by actor: Actor, requestID: String?, action: String,
                        apply: @escaping @Sendable (WorkspaceBooking, PostgresConnection) async throws -> Bool) async throws -> WorkspaceBooking {
        try await pool.withTransaction { connection in
            guard let before = try await Self.booking(id, on: connection, lock: true),
                  scope.map({ $0.contains(before.organisation) }) ?? true else { throw Refusal.notFound() }
            guard try await apply(before, connection) else { return before }
            guard let after = try await Self.booking(id, on: connection) else { throw Refusal.notFound() }
            try await AuditLog.record(
                AuditChange(action: action, objectType: "workspace_booking", objectID: id.uuidString,
                            before: ["status": .string(before.status.rawValue)], after: Self.snapshot(after)),
                by: actor, requestID: requestID, on: connection)
            return after
        }
    }

    static func snapshot(_ booking: WorkspaceBooking) -> [String: JSONValue] {
        ["forum": .string(booking.forum.uuidString), "room": .string(booking.room.uuidString), "organisation": .string(booking.organisation.uuidString),
         "startsAt": .string(ISOInstant.string(booking.startsAt)), "endsAt": .string(ISOInstant.string(booking.endsAt)),
         "attendees": .number(Double(booking.attendees)), "status": .string(booking.status.rawValue)]
    }

    static func snapshot(_ offer: WorkspaceOffer) -> [String: JSONValue] {
        var values: [String: JSONValue] = [
            "rooms": .array(offer.rooms.map { .string($0.id.uuidString) }),
            "bookingOpensAt": .string(ISOInstant.string(offer.bookingOpensAt)), "bookingClosesAt": .string(ISOInstant.string(offer.bookingClosesAt)),
            "slotMinutes": .number(Double(offer.rules.slotMinutes)), "maxBookingMinutes": .number(Double(offer.rules.maxBookingMinutes)),
            "maxDailyMinutes": .number(Double(offer.rules.maxDailyMinutes)),
        ]
        if let window = offer.priorityWindow {
            values["priorityWindow"] = .object(["hours": .number(Double(window.hours)), "underRepresented": .array(window.underRepresented.map(JSONValue.string))])
        }
        return values
    }
}
