import Agora
import Foundation
import PostgresClient
import Synchronization

/// Venues and their rooms.
public struct VenueStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        v.id, v.name, v.city, v.country, v.time_zone, v.version, v.created_at, v.updated_at,
        (SELECT count(*)::int FROM room r WHERE r.venue_id = v.id) AS rooms
        """

    /// Creates a venue (all four fields set), audited.
    public func create(_ fields: Venue.Fields, by actor: Actor, requestID: String?) async throws -> Venue {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let id = try await connection.query("""
                    INSERT INTO venue (name, city, country, time_zone)
                    VALUES (\(fields.name), \(fields.city), \(fields.country), \(fields.timeZone))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let venue = try await Self.fetch(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "venue.create", objectType: "venue", objectID: id.uuidString,
                                after: venue.snapshot(["name", "city", "country", "timeZone"])),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(venue, on: connection)
                return venue
            }
        }
    }

    public func venue(_ id: UUID) async throws -> Venue? {
        try await pool.withConnection { try await Self.fetch(id, on: $0) }
    }

    /// Venues by name, then id, after `after`.
    public func list(limit: Int, after: NamePosition?) async throws -> [Venue] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM venue v
            WHERE (\(after?.name)::text IS NULL OR (v.name, v.id) > (\(after?.name)::text, \(after?.id)::uuid))
            ORDER BY v.name, v.id LIMIT \(limit)
            """).map(Self.venue)
    }

    /// Changes the fields set in `fields`, if `expectedVersion` (when given) is still current.
    public func update(_ id: UUID, _ fields: Venue.Fields, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> Venue {
        // Nothing asked: no new version (which would make every ETag read so far stale), no audit entry.
        if fields.names.isEmpty {
            guard let current = try await venue(id) else { throw Refusal.notFound() }
            if let expectedVersion, expectedVersion != current.version { throw Refusal.stale(currentVersion: current.version) }
            return current
        }
        return try await mapViolations {
            try await pool.withTransaction { connection in
                try await versionedUpdate(
                    action: "venue.update", objectType: "venue", id: id, changedFields: fields.names,
                    expectedVersion: expectedVersion,
                    fetch: { lock in try await Self.fetch(id, on: connection, lock: lock) }, version: \.version, snapshot: { $0.snapshot($1) },
                    apply: {
                        try await connection.execute("""
                        UPDATE venue SET
                            name = coalesce(\(fields.name), name),
                            city = coalesce(\(fields.city), city),
                            country = coalesce(\(fields.country), country),
                            time_zone = coalesce(\(fields.timeZone), time_zone),
                            version = version + 1, updated_at = now()
                        WHERE id = \(id)
                        """)
                    },
                    by: actor, requestID: requestID, on: connection)
            }
        }
    }

    static let roomColumns = "id, venue_id, name, capacity, accessibility, bookable, equipment, opening_hours"

    /// Adds a room to venue `venue` (`fields.name` and `fields.capacity` set); nil when there is no such venue.
    public func addRoom(to venue: UUID, _ fields: Room.Fields, by actor: Actor, requestID: String?) async throws -> Room? {
        try await mapViolations {
            try await pool.withTransaction { connection in
                // The venue row is locked so its version moves with its rooms (an ETag of the venue changes).
                guard !(try await connection.query("""
                    UPDATE venue SET version = version + 1, updated_at = now() WHERE id = \(venue) RETURNING id
                    """)).isEmpty else { return nil }
                let row = try await connection.query("""
                    INSERT INTO room (venue_id, name, capacity, accessibility, bookable, equipment, opening_hours)
                    VALUES (\(venue), \(fields.name), \(fields.capacity), \(fields.accessibility ?? ""), \(fields.bookable ?? false),
                            \((fields.equipment ?? []).map(\.rawValue)), \(PostgresJSON(fields.openingHours ?? OpeningHours()))::jsonb)
                    RETURNING \(unsafeRaw: Self.roomColumns)
                    """)[0]
                let room = try Self.room(row)
                try await AuditLog.record(
                    AuditChange(action: "room.create", objectType: "venue", objectID: venue.uuidString, after: room.snapshot),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(Optional(room) as Any, on: connection)
                return room
            }
        }
    }

    /// Changes the fields set in `fields` of room `id`. A room a forum offers as workspace stays
    /// bookable while the offer lasts (the forum's secretariat takes it out of the offer first).
    public func updateRoom(_ id: UUID, _ fields: Room.Fields, by actor: Actor, requestID: String?) async throws -> Room {
        try await mapViolations {
            try await pool.withTransaction { connection in
                // The offers holding the room first (bookings hold them shared), then the room; NO KEY
                // UPDATE, since a booking's foreign key takes KEY SHARE on it.
                try await connection.execute("""
                    SELECT pg_advisory_xact_lock(workspace_offer_key(forum_id)) FROM (SELECT forum_id FROM workspace_room WHERE room_id = \(id) ORDER BY forum_id) offers
                    """)
                guard let before = try await connection.query("SELECT \(unsafeRaw: Self.roomColumns) FROM room WHERE id = \(id) FOR NO KEY UPDATE")
                    .first.map(Self.room) else { throw Refusal.notFound() }
                if fields.bookable == false, before.bookable,
                   !(try await connection.query("SELECT 1 FROM workspace_room WHERE room_id = \(id) LIMIT 1")).isEmpty {
                    throw Refusal.invalid("bookable", "the room is offered as workspace at a forum; take it out of the offer first")
                }
                let row = try await connection.query("""
                    UPDATE room SET
                        name = coalesce(\(fields.name), name),
                        capacity = coalesce(\(fields.capacity), capacity),
                        accessibility = coalesce(\(fields.accessibility), accessibility),
                        bookable = coalesce(\(fields.bookable), bookable),
                        equipment = coalesce(\(fields.equipment?.map(\.rawValue)), equipment),
                        opening_hours = coalesce(\(fields.openingHours.map(PostgresJSON.init))::jsonb, opening_hours)
                    WHERE id = \(id) RETURNING \(unsafeRaw: Self.roomColumns)
                    """)[0]
                let room = try Self.room(row)
                try await connection.execute("UPDATE venue SET version = version + 1, updated_at = now() WHERE id = \(room.venue)")
                // Offers show their rooms: a changed room is a new version of each offer holding it.
                try await connection.execute("""
                    UPDATE workspace_offer SET version = version + 1, updated_at = now()
                    WHERE forum_id IN (SELECT forum_id FROM workspace_room WHERE room_id = \(id))
                    """)
                try await AuditLog.record(
                    AuditChange(action: "room.update", objectType: "venue", objectID: room.venue.uuidString, before: before.snapshot, after: room.snapshot),
                    by: actor, requestID: requestID, on: connection)
                return room
            }
        }
    }

    /// One room; nil when there is none.
    public func room(_ id: UUID) async throws -> Room? {
        try await pool.query("SELECT \(unsafeRaw: Self.roomColumns) FROM room WHERE id = \(id)").first.map(Self.room)
    }

    /// The rooms of a venue by name; nil when there is no such venue.
    public func rooms(of venue: UUID) async throws -> [Room]? {
        try await pool.withConnection { connection in
            guard !(try await connection.query("SELECT 1 FROM venue WHERE id = \(venue)")).isEmpty else { return nil }
            return try await connection.query("""
                SELECT \(unsafeRaw: Self.roomColumns) FROM room WHERE venue_id = \(venue) ORDER BY name, id
                """).map(Self.room)
        }
    }

    static func fetch(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Venue? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM venue v WHERE v.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).first.map(Self.venue)
    }

    static func venue(_ row: PostgresRow) throws -> Venue {
        Venue(id: try row.decode("id"), name: try row.decode("name"), city: try row.decode("city"), country: try row.decode("country"),
              timeZone: try row.decode("time_zone"), rooms: try row.decode("rooms"), version: try row.decode("version"),
              createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    /// Opening hours as stored, read once per distinct text: every booking reads its forum's
    /// rooms, and decoding JSON was most of a booking's cost. Rooms share a few texts at most.
    static func openingHours(_ text: String) throws -> OpeningHours {
        if let known = knownHours.withLock({ $0[text] }) { return known }
        let hours = try JSONDecoder().decode(OpeningHours.self, from: Data(text.utf8))
        knownHours.withLock { known in
            if known.count >= 1000 { known.removeAll() }
            known[text] = hours
        }
        return hours
    }

    private static let knownHours = Mutex<[String: OpeningHours]>([:])

    static func room(_ row: PostgresRow) throws -> Room {
        Room(id: try row.decode("id"), venue: try row.decode("venue_id"), name: try row.decode("name"),
             capacity: try row.decode("capacity"), accessibility: try row.decode("accessibility"), bookable: try row.decode("bookable"),
             equipment: try row.decode("equipment", as: [String].self).compactMap(Equipment.init(rawValue:)),
             openingHours: try openingHours(try row.decode("opening_hours", as: String.self)))
    }
}
