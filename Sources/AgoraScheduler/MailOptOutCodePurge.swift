import AgoraStore
import Logging

extension PeriodicJob {
    /// Deletes e-mails' unsubscribe codes past their lifetime (``MailOptOutStore/codeLifetime``),
    /// so the table holds about half a year of e-mails to people and accounts. Hourly by default;
    /// the work itself is ``MailOptOutStore/purgeExpiredCodes(now:)``.
    public static func mailOptOutCodePurge(store: MailOptOutStore, interval: Duration = .seconds(3600), logger: Logger) -> PeriodicJob {
        PeriodicJob(every: interval, done: "purged expired unsubscribe codes", logger: logger) {
            try await store.purgeExpiredCodes()
        }
    }
}
