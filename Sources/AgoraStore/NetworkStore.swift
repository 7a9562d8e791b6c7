import Agora
import Foundation
import PostgresClient

/// A network's membership of an organisation, or the network's request for it.
public struct Membership: Codable, Sendable, Equatable {
    /// Where a membership stands.
    public enum Status: String, Codable, Sendable {
        /// Asked by the network; counts nowhere until accepted.
        case requested
        /// Accepted by the organisation (or admitted by the secretariat).
        case accepted
    }
    /// The network.
    public var network: UUID
    /// The member (or asked) organisation.
    public var organisation: UUID
    /// Requested or accepted.
    public var status: Status
    /// When the network asked (in lists of requests).
    public var requestedAt: Date?

    /// A membership.
    public init(network: UUID, organisation: UUID, status: Status, requestedAt: Date? = nil) {
        self.network = network
        self.organisation = organisation
        self.status = status
        self.requestedAt = requestedAt
    }
}

/// Where a page of membership requests ends.
public struct MembershipRequestPosition: Codable, Sendable {
    public var requestedAt: Date
    public var network: UUID
    public var organisation: UUID
    public init(requestedAt: Date, network: UUID, organisation: UUID) {
        self.requestedAt = requestedAt
        self.network = network
        self.organisation = organisation
    }
}

/// Networks and their member organisations.
public struct NetworkStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        n.id, n.name, n.constituency, n.description, n.website, n.version, n.created_at, n.updated_at,
        (SELECT count(*)::int FROM network_member m WHERE m.network_id = n.id AND m.status = 'accepted') AS members
        """

    public func create(_ fields: Network.Fields, by actor: Actor, requestID: String?) async throws -> Network {
        try await mapViolations {
            try await pool.withTransaction { connection in
                let id = try await connection.query("""
                    INSERT INTO network (name, constituency, description, website)
                    VALUES (\(fields.name), \(fields.constituency), \(fields.description ?? ""), \(fields.website ?? nil))
                    RETURNING id
                    """)[0].decode("id", as: UUID.self)
                let network = try await Self.fetch(id, on: connection)!
                try await AuditLog.record(
                    AuditChange(action: "network.create", objectType: "network", objectID: id.uuidString,
                                after: network.snapshot(["name", "constituency", "description", "website"])),
                    by: actor, requestID: requestID, on: connection)
                try await IdempotentAnswer.offer(network, on: connection)
                return network
            }
        }
    }

    public func network(_ id: UUID) async throws -> Network? {
        try await pool.withConnection { try await Self.fetch(id, on: $0) }
    }

    public func list(limit: Int, after: NamePosition?, constituency: String?) async throws -> [Network] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM network n
            WHERE (\(after?.name)::text IS NULL OR (n.name, n.id) > (\(after?.name)::text, \(after?.id)::uuid))
              AND (\(constituency)::text IS NULL OR n.constituency = \(constituency)::text)
            ORDER BY n.name, n.id LIMIT \(limit)
            """).map(Self.network)
    }

    public func update(_ id: UUID, _ fields: Network.Fields, expectedVersion: Int?, by actor: Actor, requestID: String?) async throws -> Network {
        try await mapViolations {
            try await pool.withTransaction { connection in
                try await versionedUpdate(
                    action: "network.update", objectType: "network", id: id, changedFields: fields.names,
                    expectedVersion: expectedVersion,
                    fetch: { lock in try await Self.fetch(id, on: connection, lock: lock) }, version: \.version, snapshot: { $0.snapshot($1) },
                    apply: {
                        try await connection.execute("""
                        UPDATE network SET
                            name = coalesce(\(fields.name), name),
                            constituency = coalesce(\(fields.constituency), constituency),
                            description = coalesce(\(fields.description), description),
                            website = CASE WHEN \(fields.website != nil) THEN \(fields.website ?? nil) ELSE website END,
                            version = version + 1, updated_at = now()
                        WHERE id = \(id)
                        """)
                    },
                    by: actor, requestID: requestID, on: connection)
            }
        }
    }

    /// Asks for `organisation` to join the network, or — when the secretariat does it — admits
    /// it at once (an organisation of another constituency only so). A request counts nowhere
    /// until the organisation's contact or the secretariat accepts it.
    public func addMember(_ organisation: UUID, to network: UUID, by actor: Actor, requestID: String?) async throws -> Membership {
        let admits = actor.has(.secretariat)
        return try await mapViolations { try await pool.withTransaction { connection in
            guard let found = try await Self.fetch(network, on: connection, lock: true) else { throw Refusal.notFound() }
            guard let constituency = try await connection.query("SELECT constituency FROM organisation WHERE id = \(organisation)")
                .first?.decode("constituency", as: String.self) else {
                throw Refusal.invalid("organisation", "is not a known organisation")
            }
            guard admits || constituency == found.constituency else {
                throw Refusal.invalid("organisation", "is of another constituency (\(constituency)); only the secretariat admits it to a \(found.constituency) network")
            }
            let current = try await Self.membershipStatus(organisation, network, on: connection)
            switch (current, admits) {
            case (.accepted?, _), (.requested?, false):
                return (Membership(network: network, organisation: organisation, status: current!))
            case (.requested?, true):
                return try await accept(organisation, network, by: actor, requestID: requestID, on: connection)
            case (nil, _):
                let status: Membership.Status = admits ? .accepted : .requested
                try await connection.execute("""
                    INSERT INTO network_member (network_id, organisation_id, status, accepted_at)
                    VALUES (\(network), \(organisation), \(status.rawValue), CASE WHEN \(admits) THEN now() END)
                    """)
                if admits { try await Self.bumpVersion(network, on: connection) }
                try await AuditLog.record(
                    AuditChange(action: admits ? "network.member.add" : "network.member.request", objectType: "network", objectID: network.uuidString,
                                after: ["member": .string(organisation.uuidString), "status": .string(status.rawValue)], isPublic: true),
                    by: actor, requestID: requestID, on: connection)
                return (Membership(network: network, organisation: organisation, status: status))
            }
        } }
    }

    /// The organisation's contact (one of `organisations`; nil: the secretariat) accepts the
    /// network's request. Not found when there is no such request or it is not theirs.
    public func acceptMembership(_ organisation: UUID, into network: UUID, within organisations: Set<UUID>?,
                                 by actor: Actor, requestID: String?) async throws -> Membership {
        guard organisations.map({ $0.contains(organisation) }) ?? true else { throw Refusal.notFound() }
        return try await pool.withTransaction { connection in
            guard try await Self.fetch(network, on: connection, lock: true) != nil else { throw Refusal.notFound() }
            switch try await Self.membershipStatus(organisation, network, on: connection) {
            case nil: throw Refusal.notFound()
            case .accepted?: return (Membership(network: network, organisation: organisation, status: .accepted))
            case .requested?: return try await accept(organisation, network, by: actor, requestID: requestID, on: connection)
            }
        }
    }

    private func accept(_ organisation: UUID, _ network: UUID, by actor: Actor, requestID: String?,
                        on connection: PostgresConnection) async throws -> Membership {
        try await connection.execute("""
            UPDATE network_member SET status = 'accepted', accepted_at = now()
            WHERE network_id = \(network) AND organisation_id = \(organisation)
            """)
        try await Self.bumpVersion(network, on: connection)
        try await AuditLog.record(
            AuditChange(action: "network.member.accept", objectType: "network", objectID: network.uuidString,
                        before: ["member": .string(organisation.uuidString), "status": .string("requested")],
                        after: ["member": .string(organisation.uuidString), "status": .string("accepted")], isPublic: true),
            by: actor, requestID: requestID, on: connection)
        return (Membership(network: network, organisation: organisation, status: .accepted))
    }

    /// Ends a membership or withdraws (declines) a request; false if there was neither.
    /// Either side may: the caller's scope is checked by the API.
    public func removeMember(_ organisation: UUID, from network: UUID, by actor: Actor, requestID: String?) async throws -> Bool {
        try await pool.withTransaction { connection in
            guard try await Self.fetch(network, on: connection, lock: true) != nil,
                  let status = try await connection.query("""
                    DELETE FROM network_member WHERE network_id = \(network) AND organisation_id = \(organisation) RETURNING status
                    """).first?.decode("status", as: String.self) else { return false }
            if status == Membership.Status.accepted.rawValue { try await Self.bumpVersion(network, on: connection) }
            try await AuditLog.record(
                AuditChange(action: "network.member.remove", objectType: "network", objectID: network.uuidString,
                            before: ["member": .string(organisation.uuidString), "status": .string(status)], isPublic: true),
                by: actor, requestID: requestID, on: connection)
            return true
        }
    }

    /// Pending membership requests, oldest first: all of them (`networks` and `organisations`
    /// nil), or those of the given networks or organisations; at most `limit`, after `after`.
    public func membershipRequests(networks: Set<UUID>?, organisations: Set<UUID>?, limit: Int,
                                   after: MembershipRequestPosition?) async throws -> [Membership] {
        let all = networks == nil && organisations == nil
        return try await pool.query("""
            SELECT network_id, organisation_id, status, joined_at FROM network_member
            WHERE status = 'requested' AND (\(all) OR network_id = ANY(\(Array(networks ?? []))) OR organisation_id = ANY(\(Array(organisations ?? []))))
              AND (\(after?.requestedAt)::timestamptz IS NULL
                   OR (joined_at, network_id, organisation_id) > (\(after?.requestedAt)::timestamptz, \(after?.network)::uuid, \(after?.organisation)::uuid))
            ORDER BY joined_at, network_id, organisation_id LIMIT \(limit)
            """).map { row in
            Membership(network: try row.decode("network_id"), organisation: try row.decode("organisation_id"),
                       status: Membership.Status(rawValue: try row.decode("status")) ?? .requested, requestedAt: try row.decode("joined_at"))
        }
    }

    /// The member organisations of a network (accepted memberships only), by name.
    public func members(of network: UUID) async throws -> [Organisation] {
        try await pool.query("""
            SELECT \(unsafeRaw: OrganisationStore.columns) FROM organisation o
            JOIN network_member m ON m.organisation_id = o.id WHERE m.network_id = \(network) AND m.status = 'accepted' ORDER BY o.name, o.id
            """).map(OrganisationStore.organisation)
    }

    private static func membershipStatus(_ organisation: UUID, _ network: UUID, on connection: PostgresConnection) async throws -> Membership.Status? {
        try await connection.query("""
            SELECT status FROM network_member WHERE network_id = \(network) AND organisation_id = \(organisation) FOR UPDATE
            """).first.flatMap { Membership.Status(rawValue: try $0.decode("status")) }
    }

    /// A change of accepted members changes the network's member count, so its version.
    private static func bumpVersion(_ network: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("UPDATE network SET version = version + 1, updated_at = now() WHERE id = \(network)")
    }

    static func fetch(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Network? {
        // FOR UPDATE cannot lock a row read with an aggregate subquery, so lock separately.
        if lock { _ = try await connection.query("SELECT 1 FROM network WHERE id = \(id) FOR UPDATE") }
        return try await connection.query("SELECT \(unsafeRaw: columns) FROM network n WHERE n.id = \(id)").first.map(network)
    }

    static func network(_ row: PostgresRow) throws -> Network {
        Network(id: try row.decode("id"), name: try row.decode("name"), constituency: try row.decode("constituency"),
                description: try row.decode("description"), website: try row.decode("website"), members: try row.decode("members"),
                version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}
