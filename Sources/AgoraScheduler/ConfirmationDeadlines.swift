import AgoraStore
import Logging

extension PeriodicJob {
    /// Releases the places of chosen speakers who did not confirm by their slate's deadline:
    /// each is treated as a decline, so the first reserve that keeps the rules takes the place
    /// (and is asked in turn). Every minute by default.
    public static func confirmationDeadlines(store: SelectionStore, interval: Duration = .seconds(60), logger: Logger) -> PeriodicJob {
        PeriodicJob(every: interval, done: "released unanswered speaker places", logger: logger) {
            try await store.releaseUnanswered()
        }
    }
}
