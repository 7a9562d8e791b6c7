import Agora
import Foundation
import PostgresClient

/// Nominations of speakers by networks, and the forum's selection committee.
public struct NominationStore: Sendable {
    private let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }

    static let columns = """
        n.id, n.forum_id, n.network_id, w.name AS network_name, w.constituency, n.person_id, p.name, p.organisation_id,
        o.name AS organisation_name, p.country, n.rank, n.statement, n.submitted_at, n.withdrawn_at IS NOT NULL AS withdrawn, n.version
        """
    static let joins = """
        nomination n JOIN network w ON w.id = n.network_id JOIN person p ON p.id = n.person_id
        LEFT JOIN organisation o ON o.id = p.organisation_id
        """

    /// The forum's status and nomination deadline, locked against a concurrent status change.
    static func window(_ forum: UUID, on connection: PostgresConnection) async throws -> (ForumStatus, Date?)? {
        guard let row = try await connection.query("SELECT status, nominations_deadline FROM forum WHERE id = \(forum) FOR SHARE").first,
              let status = ForumStatus(rawValue: try row.decode("status")) else { return nil }
        return (status, try row.decode("nominations_deadline"))
    }

    /// Network `network` nominates `person` for `forum`. `networks` are the caller's (nil: any).
    public func nominate(_ person: UUID, for forum: UUID, by network: UUID, rank: Int, statement: String, within networks: Set<UUID>?,
                         now: Date = Date(), actor: Actor, requestID: String?) async throws -> Nomination {
        guard networks.map({ $0.contains(network) }) ?? true else { throw Refusal.notYourNetwork }
        return try await mapViolations {
            try await rankConflicts(rank) {
                // Crossing changes to one network's nominations may deadlock; PostgreSQL picks one to fail, and it runs again.
                try await pool.withRetryingTransaction(isolation: .readCommitted) { connection in
                    // A draft is not public: its existence is not revealed to a network by a refusal.
                    guard let (status, deadline) = try await Self.window(forum, on: connection), status != .draft else { throw Refusal.notFound() }
                    guard NominationWindow.isOpen(status: status, deadline: deadline, now: now) else { throw Refusal.nominationsClosed(status: status, deadline: deadline) }
                    guard let organisation = try await connection.query("SELECT organisation_id FROM person WHERE id = \(person)").first else {
                        throw Refusal.invalid("person", "is not a known person")
                    }
                    // A network nominates people of its member organisations, never strangers from the directory
                    // (nominating opens a person's personal data to the network). FOR SHARE: an ending membership waits.
                    guard let member = try organisation.decode("organisation_id", as: UUID?.self), !(try await connection.query("""
                        SELECT 1 FROM network_member WHERE network_id = \(network) AND organisation_id = \(member) AND status = 'accepted' FOR SHARE
                        """)).isEmpty else { throw Refusal.invalid("person", "is not a person of one of the network's member organisations") }
                    guard (try await connection.query("""
                        SELECT 1 FROM selection_committee c JOIN account a ON a.id = c.account_id WHERE c.forum_id = \(forum) AND a.person_id = \(person)
                        """)).isEmpty else { throw Refusal.committeeMember }
                    guard (try await connection.query("""
                        SELECT 1 FROM nomination WHERE forum_id = \(forum) AND network_id = \(network) AND person_id = \(person) AND withdrawn_at IS NULL
                        """)).isEmpty else { throw Refusal.alreadyNominated }
                    let id = try await connection.query("""
                        INSERT INTO nomination (forum_id, network_id, person_id, rank, statement)
                        VALUES (\(forum), \(network), \(person), \(rank), \(statement)) RETURNING id
                        """)[0].decode("id", as: UUID.self)
                    try await connection.query("SET CONSTRAINTS nomination_rank_unique IMMEDIATE")
                    try await Outbox.nominationReceived(id, on: connection)
                    try await AuditLog.record(
                        AuditChange(action: "nomination.create", objectType: "nomination", objectID: id.uuidString,
                                    after: ["forum": .string(forum.uuidString), "network": .string(network.uuidString),
                                            "person": .string(person.uuidString), "rank": .number(Double(rank))]),
                        by: actor, requestID: requestID, on: connection)
                    let outcome = try await Self.nomination(id, on: connection)!
                    try await IdempotentAnswer.offer(outcome, on: connection)
                    return outcome
                }
            }
        }
    }

    /// Changes a nomination's rank (taking it from the network's nomination that held it, which
    /// gets the old rank: a swap) or statement, before the deadline.
    public func update(_ id: UUID, rank: Int?, statement: String?, expectedVersion: Int?, within networks: Set<UUID>?,
                       now: Date = Date(), actor: Actor, requestID: String?) async throws -> Nomination {
        try await mapViolations { try await rankConflicts(rank ?? 0) {
            try await pool.withRetryingTransaction(isolation: .readCommitted) { connection in
                guard let found = try await Self.nomination(id, on: connection), !found.withdrawn,
                      networks.map({ $0.contains(found.network) }) ?? true else { throw Refusal.notFound() }
                // The forum first (as every path does), then the network's nominations in one order, so
                // two swaps do not deadlock each other. NO KEY UPDATE leaves the rows' keys free for
                // the foreign keys of a slate being saved.
                guard let (status, deadline) = try await Self.window(found.forum, on: connection) else { throw Refusal.notFound() }
                try await connection.query("""
                    SELECT id FROM nomination WHERE forum_id = \(found.forum) AND network_id = \(found.network) AND withdrawn_at IS NULL
                    ORDER BY id FOR NO KEY UPDATE
                    """)
                guard let before = try await Self.nomination(id, on: connection), !before.withdrawn else { throw Refusal.notFound() }
                guard NominationWindow.isOpen(status: status, deadline: deadline, now: now) else { throw Refusal.nominationsClosed(status: status, deadline: deadline) }
                if let expectedVersion, expectedVersion != before.version { throw Refusal.stale(currentVersion: before.version) }
                let newRank = rank.flatMap { $0 == before.rank ? nil : $0 }
                let newStatement = statement.flatMap { $0 == before.statement ? nil : $0 }
                guard newRank != nil || newStatement != nil else { return before }
                if let newRank, let holder = try await connection.query("""
                    SELECT id FROM nomination WHERE forum_id = \(before.forum) AND network_id = \(before.network) AND rank = \(newRank) AND withdrawn_at IS NULL
                    """).first?.decode("id", as: UUID.self) {
                    // The holder of the rank takes the old one; the uniqueness check waits for the commit.
                    try await connection.query("UPDATE nomination SET rank = \(before.rank), version = version + 1, updated_at = now() WHERE id = \(holder)")
                    try await AuditLog.record(
                        AuditChange(action: "nomination.update", objectType: "nomination", objectID: holder.uuidString,
                                    before: ["rank": .number(Double(newRank))], after: ["rank": .number(Double(before.rank))]),
                        by: actor, requestID: requestID, on: connection)
                }
                try await connection.query("""
                    UPDATE nomination SET rank = COALESCE(\(newRank), rank), statement = COALESCE(\(newStatement), statement),
                        version = version + 1, updated_at = now()
                    WHERE id = \(id)
                    """)
                let after = try await Self.nomination(id, on: connection)!
                var changedBefore: [String: JSONValue] = [:], changedAfter: [String: JSONValue] = [:]
                if newRank != nil { (changedBefore["rank"], changedAfter["rank"]) = (.number(Double(before.rank)), .number(Double(after.rank))) }
                if newStatement != nil { (changedBefore["statement"], changedAfter["statement"]) = (.string(before.statement ?? ""), .string(after.statement ?? "")) }
                try await AuditLog.record(
                    AuditChange(action: "nomination.update", objectType: "nomination", objectID: id.uuidString, before: changedBefore, after: changedAfter),
                    by: actor, requestID: requestID, on: connection)
                return after
            }
        } }
    }

    /// Withdraws a nomination before the deadline.
    public func withdraw(_ id: UUID, within networks: Set<UUID>?, now: Date = Date(), actor: Actor, requestID: String?) async throws -> Nomination {
        try await pool.withRetryingTransaction(isolation: .readCommitted) { connection in
            guard let found = try await Self.nomination(id, on: connection),
                  networks.map({ $0.contains(found.network) }) ?? true else { throw Refusal.notFound() }
            guard let (status, deadline) = try await Self.window(found.forum, on: connection) else { throw Refusal.notFound() }
            guard let before = try await Self.nomination(id, on: connection, lock: true) else { throw Refusal.notFound() }
            guard NominationWindow.isOpen(status: status, deadline: deadline, now: now) else { throw Refusal.nominationsClosed(status: status, deadline: deadline) }
            guard !before.withdrawn else { return before }
            try await connection.query("UPDATE nomination SET withdrawn_at = now(), version = version + 1, updated_at = now() WHERE id = \(id)")
            try await AuditLog.record(
                AuditChange(action: "nomination.withdraw", objectType: "nomination", objectID: id.uuidString,
                            before: ["withdrawn": .bool(false)], after: ["withdrawn": .bool(true)]),
                by: actor, requestID: requestID, on: connection)
            return try await Self.nomination(id, on: connection)!
        }
    }

    public func nomination(_ id: UUID) async throws -> Nomination? {
        try await pool.withConnection { try await Self.nomination(id, on: $0) }
    }

    /// A forum's active nominations by network and rank; only `networks`' when given.
    public func nominations(of forum: UUID, within networks: Set<UUID>?) async throws -> [Nomination] {
        let scope = networks.map { Array($0) }
        return try await pool.query("""
            SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: Self.joins)
            WHERE n.forum_id = \(forum) AND n.withdrawn_at IS NULL AND (\(scope == nil) OR n.network_id = ANY(\(scope ?? [])))
            ORDER BY w.name, n.rank
            """).map(Self.nomination)
    }

    /// What the solver needs of a forum's active nominations.
    public func candidates(of forum: UUID) async throws -> [Candidate] {
        try await pool.withConnection { try await Self.candidates(of: forum, on: $0) }
    }

    static func candidates(of forum: UUID, on connection: PostgresConnection) async throws -> [Candidate] {
        try await connection.query("""
            SELECT n.id, n.person_id, n.network_id, w.constituency, n.rank, c.developing, p.gender, n.submitted_at,
                   (SELECT count(*)::int FROM network_member m WHERE m.network_id = w.id AND m.status = 'accepted') AS members
            FROM nomination n JOIN network w ON w.id = n.network_id JOIN person p ON p.id = n.person_id JOIN country c ON c.alpha2 = p.country
            WHERE n.forum_id = \(forum) AND n.withdrawn_at IS NULL
              -- Named to the selection committee after being nominated: not a candidate any more.
              AND NOT EXISTS (SELECT 1 FROM selection_committee sc JOIN account a ON a.id = sc.account_id
                              WHERE sc.forum_id = n.forum_id AND a.person_id = n.person_id)
              -- A network speaks for its members: once the person's organisation has left, not a candidate.
              AND EXISTS (SELECT 1 FROM network_member m WHERE m.network_id = n.network_id AND m.organisation_id = p.organisation_id
                          AND m.status = 'accepted')
            -- A stable order: a slate is written only if the candidates read again are the same list.
            ORDER BY n.id
            """).map { row in
            Candidate(nomination: try row.decode("id"), person: try row.decode("person_id"), network: try row.decode("network_id"),
                      constituency: try row.decode("constituency"), networkMembers: try row.decode("members"), rank: try row.decode("rank"),
                      developing: try row.decode("developing"), gender: try row.decode("gender"), submittedAt: try row.decode("submitted_at"))
        }
    }

    /// The forum's active nominations of people whose organisation is no longer an accepted
    /// member of the nominating network.
    static func formerMemberNominations(of forum: UUID, on connection: PostgresConnection) async throws -> [UUID] {
        try await connection.query("""
            SELECT n.id FROM nomination n JOIN person p ON p.id = n.person_id
            WHERE n.forum_id = \(forum) AND n.withdrawn_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM network_member m WHERE m.network_id = n.network_id AND m.organisation_id = p.organisation_id
                              AND m.status = 'accepted')
            ORDER BY n.id
            """).map { try $0.decode("id", as: UUID.self) }
    }

    /// The forum's active nominations of people who sit on its selection committee.
    static func committeeNominations(of forum: UUID, on connection: PostgresConnection) async throws -> [UUID] {
        try await connection.query("""
            SELECT DISTINCT n.id FROM nomination n JOIN account a ON a.person_id = n.person_id
            JOIN selection_committee sc ON sc.account_id = a.id AND sc.forum_id = n.forum_id
            WHERE n.forum_id = \(forum) AND n.withdrawn_at IS NULL ORDER BY n.id
            """).map { try $0.decode("id", as: UUID.self) }
    }

    /// Names the accounts of the forum's selection committee (replacing the list).
    public func setCommittee(_ accounts: [UUID], of forum: UUID, actor: Actor, requestID: String?) async throws -> [UUID]? {
        try await mapViolations {
            try await pool.withTransaction { connection in
                guard !(try await connection.query("SELECT 1 FROM forum WHERE id = \(forum)")).isEmpty else { return nil }
                try await connection.query("DELETE FROM selection_committee WHERE forum_id = \(forum)")
                for account in Set(accounts) {
                    try await connection.query("INSERT INTO selection_committee (forum_id, account_id) VALUES (\(forum), \(account))")
                }
                try await AuditLog.record(
                    AuditChange(action: "forum.committee", objectType: "forum", objectID: forum.uuidString,
                                after: ["accounts": .array(accounts.map { .string($0.uuidString) })]),
                    by: actor, requestID: requestID, on: connection)
                return try await connection.query("SELECT account_id FROM selection_committee WHERE forum_id = \(forum) ORDER BY account_id")
                    .map { try $0.decode("account_id", as: UUID.self) }
            }
        }
    }

    static func nomination(_ id: UUID, on connection: PostgresConnection, lock: Bool = false) async throws -> Nomination? {
        try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM \(unsafeRaw: joins) WHERE n.id = \(id) \(unsafeRaw: lock ? "FOR NO KEY UPDATE OF n" : "")
            """).first.map(nomination)
    }

    static func nomination(_ row: PostgresRow) throws -> Nomination {
        Nomination(id: try row.decode("id"), forum: try row.decode("forum_id"), network: try row.decode("network_id"),
                   networkName: try row.decode("network_name"), constituency: try row.decode("constituency"), person: try row.decode("person_id"),
                   name: try row.decode("name"), organisation: try row.decode("organisation_id"), organisationName: try row.decode("organisation_name"),
                   country: try row.decode("country"), rank: try row.decode("rank"), statement: try row.decode("statement"),
                   submittedAt: try row.decode("submitted_at"), withdrawn: try row.decode("withdrawn"), version: try row.decode("version"))
    }

    /// A rank another active nomination of the network holds is refused as `rank-taken`.
    private func rankConflicts(_ rank: Int, _ body: () async throws -> Nomination) async throws -> Nomination {
        do {
            return try await body()
        } catch let error as PostgresError where error.code == .exclusionViolation && error.constraint == "nomination_rank_unique" {
            throw Refusal.rankTaken(rank)
        } catch let error as PostgresError where error.code == .exclusionViolation && error.constraint == "nomination_person_unique" {
            throw Refusal.alreadyNominated
        }
    }
}
