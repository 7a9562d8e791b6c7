import AgoraStore
import Logging

extension PeriodicJob {
    /// Deletes idempotency keys past their retention (``IdempotencyStore/retention``), so the
    /// table holds about a day of creating requests however long the system runs. Hourly by
    /// default; the work itself is ``IdempotencyStore/purge(now:)``.
    public static func idempotencyKeyPurge(store: IdempotencyStore, interval: Duration = .seconds(3600), logger: Logger) -> PeriodicJob {
        PeriodicJob(every: interval, done: "purged idempotency keys past their retention", logger: logger) {
            try await store.purge()
        }
    }
}
