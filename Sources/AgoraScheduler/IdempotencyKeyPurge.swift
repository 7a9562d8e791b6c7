import AgoraStore
import Foundation
import Logging
import ServiceLifecycle

/// Deletes idempotency keys past their retention (``IdempotencyStore/retention``), so the table
/// holds about a day of creating requests however long the system runs. Runs every `interval`
/// until graceful shutdown; the work itself is ``IdempotencyStore/purge(now:)``, a plain
/// function of the time, so tests call it with a fixed clock.
public struct IdempotencyKeyPurge: Service {
    private let store: IdempotencyStore
    private let interval: Duration
    private let logger: Logger

    /// A purge of `store` every `interval`.
    public init(store: IdempotencyStore, interval: Duration = .seconds(3600), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Purges now and every `interval` until graceful shutdown.
    public func run() async throws {
        let store = store
        let interval = interval
        let logger = logger
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await store.purge()
                    if purged > 0 { logger.info("purged idempotency keys past their retention", metadata: ["count": "\(purged)"]) }
                } catch {
                    logger.warning("could not purge idempotency keys", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
