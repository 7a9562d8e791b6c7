import Logging
import PostgresClient
import ServiceLifecycle

/// The notice process. It wakes when the database signals new notices (LISTEN on
/// ``channel``) and, after a lost connection, re-reads all due work.
///
/// In this first version it only listens and logs what it receives; delivering notices
/// (outbox, SMTP, webhooks) builds on this loop.
public struct NoticeScheduler: Service {
    /// The channel on which a committed change announces new notices.
    public static let channel = "agora_notices"

    private let listener: PostgresListener
    private let logger: Logger

    /// Creates the scheduler; it connects when run.
    public init(database: PostgresConfiguration, logger: Logger) {
        self.listener = PostgresListener(configuration: database, channels: [Self.channel], logger: logger)
        self.logger = logger
    }

    /// Listens until graceful shutdown.
    public func run() async throws {
        let listener = listener
        let logger = logger
        await cancelWhenGracefulShutdown {
            for await event in listener.events() {
                Self.handle(event, logger: logger)
            }
        }
        logger.info("scheduler stopped")
    }

    static func handle(_ event: PostgresListenerEvent, logger: Logger) {
        switch event {
        case .listening(_, afterGap: false):
            logger.info("scheduler listening", metadata: ["channel": "\(channel)"])
        case .listening(_, afterGap: true):
            // Signals sent while the connection was down are lost: due work is found by
            // reading the outbox, never by trusting that every signal arrived.
            logger.info("scheduler reconnected; re-reading due notices", metadata: ["channel": "\(channel)"])
        case .notification(let notification):
            logger.info("notice signal received", metadata: ["payload": "\(notification.payload)"])
        }
    }
}
