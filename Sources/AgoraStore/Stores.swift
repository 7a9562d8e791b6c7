import Foundation
import Agora
import Logging
import PostgresClient

/// Every store, over one connection pool: what the API is built from, so that nothing above
/// the stores handles connections or reads PostgreSQL's errors (``DatabaseRefusals`` does).
public struct Stores: Sendable {
    public let access: AccessStore
    public let agenda: AgendaStore
    public let audit: AuditStore
    public let directory: DirectoryStore
    public let forums: ForumStore
    public let health: HealthStore
    public let idempotency: IdempotencyStore
    public let issues: IssueStore
    public let networks: NetworkStore
    public let nominations: NominationStore
    public let notices: NoticeStore
    public let organisations: OrganisationStore
    public let participation: ParticipationStore
    public let partnerships: PartnershipStore
    public let people: PersonStore
    public let proceedings: ProceedingsStore
    public let selection: SelectionStore
    public let subscriptions: SubscriptionStore
    public let mailOptOuts: MailOptOutStore
    public let venues: VenueStore
    public let workspaces: WorkspaceStore
    private let pool: PostgresConnectionPool

    /// The stores over `pool`; agenda-change notices wait `noticeQuietPeriod` after the last
    /// publish that concerns their reader.
    public init(pool: PostgresConnectionPool, noticeQuietPeriod: TimeInterval = NoticeTiming.defaultQuietPeriod) {
        self.pool = pool
        access = AccessStore(pool: pool)
        agenda = AgendaStore(pool: pool, noticeQuietPeriod: noticeQuietPeriod)
        audit = AuditStore(pool: pool)
        directory = DirectoryStore(pool: pool)
        forums = ForumStore(pool: pool)
        health = HealthStore(pool: pool)
        idempotency = IdempotencyStore(pool: pool)
        issues = IssueStore(pool: pool)
        networks = NetworkStore(pool: pool)
        nominations = NominationStore(pool: pool)
        notices = NoticeStore(pool: pool)
        organisations = OrganisationStore(pool: pool)
        participation = ParticipationStore(pool: pool)
        partnerships = PartnershipStore(pool: pool)
        people = PersonStore(pool: pool)
        proceedings = ProceedingsStore(pool: pool)
        selection = SelectionStore(pool: pool)
        subscriptions = SubscriptionStore(pool: pool)
        mailOptOuts = MailOptOutStore(pool: pool)
        venues = VenueStore(pool: pool)
        workspaces = WorkspaceStore(pool: pool)
    }

    /// Token revocations announced by any server, heard on a connection of their own (see
    /// ``AccessStore/revocationEvents(database:logger:)``).
    public func revocationEvents(logger: Logger) -> AsyncStream<AccessStore.RevocationEvent> {
        AccessStore.revocationEvents(database: pool.configuration, logger: logger)
    }
}

extension Stores {
    /// Agenda versions published by any server, heard on a connection of their own.
    public func agendaEvents(logger: Logger) -> AsyncStream<AgendaStore.PublishEvent> {
        announcements(on: AgendaStore.publishChannel, database: pool.configuration, logger: logger, listening: .listening) { payload in
            let parts = payload.split(separator: ":")
            guard parts.count == 2, let forum = UUID(uuidString: String(parts[0])), let version = Int(parts[1]) else { return nil }
            return .published(forum: forum, version: version)
        }
    }
}

/// What is announced on `channel`, read by `parse` (payloads it cannot read are dropped), on a
/// connection of its own to `database` that reconnects after a loss: `listening` each time it
/// listens (again), since announcements made meanwhile were not heard. Ends when the consuming
/// task is cancelled.
func announcements<Event: Sendable>(on channel: String, database: PostgresConfiguration, logger: Logger, listening: Event,
                                    parse: @escaping @Sendable (String) -> Event?) -> AsyncStream<Event> {
    let listener = PostgresListener(configuration: database, channels: [channel], logger: logger)
    return AsyncStream { continuation in
        let task = Task {
            for await event in listener.events() {
                switch event {
                case .listening:
                    continuation.yield(listening)
                case .notification(let notification):
                    if let parsed = parse(notification.payload) { continuation.yield(parsed) }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

extension AgendaStore {
    /// The channel `agenda_version`'s trigger announces each publish on (`forum:version`).
    public static let publishChannel = "agora_agenda_published"

    /// What a server hears about published agendas.
    public enum PublishEvent: Sendable, Equatable {
        /// Listening (again): publishes made before, or during a gap, were not heard.
        case listening
        /// Version `version` of `forum`'s agenda was published.
        case published(forum: UUID, version: Int)
    }
}

extension AccessStore {
    /// What a server hears about revoked tokens.
    public enum RevocationEvent: Sendable, Equatable {
        /// Listening (again): revocations made before, or during a gap, were not heard, so
        /// every cached token must be checked again.
        case listening
        /// A token, or every token of an account, was revoked.
        case revoked(Revocation)
    }

    /// Revocations announced on ``revocationChannel``, with a connection of their own to
    /// `database` that reconnects after a loss; ends when the consuming task is cancelled.
    public static func revocationEvents(database: PostgresConfiguration, logger: Logger) -> AsyncStream<RevocationEvent> {
        announcements(on: revocationChannel, database: database, logger: logger, listening: .listening) { payload in
            revocation(from: payload).map(RevocationEvent.revoked)
        }
    }
}
