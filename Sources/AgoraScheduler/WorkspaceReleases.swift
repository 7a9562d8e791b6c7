import AgoraStore
import Foundation
import Logging

extension PeriodicJob {
    /// Releases workspace bookings nobody checked in for within 15 minutes of their start, so
    /// the room is bookable again at once and the organisation is told. Part of `agora
    /// scheduler`, not a cron entry an operator must remember; every 30 s by default.
    public static func workspaceReleases(store: WorkspaceStore, interval: Duration = .seconds(30), logger: Logger) -> PeriodicJob {
        PeriodicJob(every: interval, done: "released workspace bookings nobody checked in for", logger: logger) {
            try await store.releaseUnchecked(now: Date())
        }
    }
}
