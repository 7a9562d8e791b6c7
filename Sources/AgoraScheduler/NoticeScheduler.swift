import Foundation
import Logging
import PostgresClient
import ServiceLifecycle

/// The notice process: delivers due notices when the database signals new ones (LISTEN on
/// ``channel``) and on its own clock (`poll`), because a signal is only a hint — one sent while
/// the listening connection was down is lost, and retries and reminders come due without one.
/// Several schedulers run side by side: claims skip each other's rows.
public struct NoticeScheduler: Service {
    /// The channel on which a committed change announces new notices.
    public static let channel = "agora_notices"

    private let listener: PostgresListener
    private let delivery: NoticeDelivery?
    private let poll: Duration
    private let logger: Logger

    /// Creates the scheduler; it connects when run. Without `delivery` it only listens.
    public init(database: PostgresConfiguration, delivery: NoticeDelivery?, poll: Duration = .seconds(5), logger: Logger) {
        self.listener = PostgresListener(configuration: database, channels: [Self.channel], logger: logger)
        self.delivery = delivery
        self.poll = poll
        self.logger = logger
    }

    /// Delivers until graceful shutdown; a round in progress finishes first.
    public func run() async throws {
        let (listener, logger, poll, delivery) = (listener, logger, poll, delivery)
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    for await event in listener.events() {
                        Self.handle(event, logger: logger)
                        wake.yield()
                    }
                }
                wake.finish()
            }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        wake.yield()
                        try? await Task.sleep(for: poll)
                    }
                }
                wake.finish()
            }
            for await _ in wakes {
                guard let delivery else { continue }
                await Self.drain(delivery, logger: logger)
            }
            group.cancelAll()
        }
        logger.info("scheduler stopped")
    }

    /// Rounds until one finds less than a full batch due.
    static func drain(_ delivery: NoticeDelivery, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let round = try await delivery.deliverDue(now: Date())
                if round.claimed > 0 {
                    logger.info("notices delivered", metadata: ["claimed": "\(round.claimed)", "delivered": "\(round.delivered)",
                                                                "retried": "\(round.retried)", "dead": "\(round.dead)",
                                                                "cancelled": "\(round.cancelled)", "fenced": "\(round.fenced)"])
                }
                // A full round means more may be due: go on at once, without waiting for a signal.
                if round.claimed < delivery.settings.roundSize { return }
            } catch {
                logger.warning("a delivery round failed", metadata: ["error": "\(error)"])
                return
            }
        }
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
            logger.debug("notice signal received", metadata: ["payload": "\(notification.payload)"])
        }
    }
}
