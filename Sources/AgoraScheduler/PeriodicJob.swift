import Logging
import ServiceLifecycle

/// Background work run every `interval` until graceful shutdown: the work itself is a plain
/// function of the stores (and the time), so tests call it directly; this is the thin service
/// around it. A failed round is logged and the next one runs on time.
public struct PeriodicJob: Service {
    private let interval: Duration
    private let logger: Logger
    /// What a round did ("released unanswered speaker places"), logged when it did anything.
    private let done: String
    /// Does one round; returns how many things it handled.
    private let round: @Sendable () async throws -> Int

    /// A job doing `round` every `interval`, logging "`done`" with the count when it is not 0.
    public init(every interval: Duration, done: String, logger: Logger, round: @escaping @Sendable () async throws -> Int) {
        self.interval = interval
        self.done = done
        self.logger = logger
        self.round = round
    }

    /// Runs a round now and every `interval` until graceful shutdown.
    public func run() async throws {
        let (interval, done, logger, round) = (interval, done, logger, round)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let count = try await round()
                    if count > 0 { logger.info("\(done)", metadata: ["count": "\(count)"]) }
                } catch {
                    logger.warning("a round failed: \(done)", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
