import AgoraStore
import Logging
import ServiceLifecycle

/// Releases the places of chosen speakers who did not confirm by their slate's deadline: each
/// is treated as a decline, so the first reserve that keeps the rules takes the place (and is
/// asked in turn). Runs every `interval` until graceful shutdown.
public struct ConfirmationDeadlines: Service {
    private let store: SelectionStore
    private let interval: Duration
    private let logger: Logger

    public init(store: SelectionStore, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let store = store
        let interval = interval
        let logger = logger
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let released = try await store.releaseUnanswered()
                    if released > 0 { logger.info("released unanswered speaker places", metadata: ["count": "\(released)"]) }
                } catch {
                    logger.warning("could not release unanswered speaker places", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
