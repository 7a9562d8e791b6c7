import Foundation

/// Where a notice is in its delivery. `pending` and `retry` wait for `run_at`; `running` is
/// claimed by one scheduler under a lease; `done`, `dead` and `cancelled` are final (an operator
/// can send a `dead` one again).
public enum NoticeState: String, Sendable, Codable, CaseIterable {
    case pending, running, retry, dead, done, cancelled
}

/// How one delivery attempt ended, as the channel saw it.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The peer took it (2xx, or SMTP 250 after the message).
    case delivered
    /// Worth trying again later: an SMTP 4xx or a refusal of the relay itself (authentication,
    /// TLS), an HTTP 5xx, 408 or 429, a timeout, a lost connection, a name that does not resolve
    /// now. `retryAfter` is what the peer asked for (HTTP `Retry-After`), if anything.
    case transient(String, retryAfter: TimeInterval? = nil)
    /// Will never work as it is: the SMTP server refuses the recipient or the message, HTTP 4xx,
    /// an address the policy refuses.
    case permanent(String)
    /// The webhook answered 410 Gone: the subscription is ended and nothing more is sent to it.
    case gone(String)
    /// The notice no longer applies (the speaker answered, the subscription ended): not sent.
    case irrelevant(String)
}

/// What becomes of a notice after an attempt: the notice delivery state machine, a plain
/// function of the attempt, its outcome, the time and a random number, tested without I/O.
public enum NoticeDecision: Sendable, Equatable {
    case done
    case retry(at: Date, error: String)
    case dead(error: String)
    case cancelled(reason: String)
    /// Dead, and the webhook subscription it went to is ended (410 Gone).
    case subscriptionGone(error: String)
}

/// Bounded retries with exponential backoff and jitter.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts before a notice is parked as `dead` (the first try counts).
    public var maxAttempts: Int
    /// The wait after the first failure; it doubles with each attempt.
    public var base: TimeInterval
    /// The longest wait, whatever the attempt or a peer's `Retry-After`.
    public var cap: TimeInterval

    /// Thirteen attempts over about a day (14 to 20 hours with the jitter): 30 s, 1 min,
    /// 2 min, … 4 h 16 min, then 6 h, so a receiver or relay down for an afternoon loses nothing.
    public static let standard = RetryPolicy(maxAttempts: 13, base: 30, cap: 6 * 3600)

    public init(maxAttempts: Int, base: TimeInterval, cap: TimeInterval) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
    }

    /// The wait before attempt `attempt + 1`: "equal jitter" — half the exponential step for
    /// sure, the other half random (`random` in 0..<1), so that notices that failed together
    /// (a receiver that was down) do not all come back at the same instant.
    public func delay(after attempt: Int, random: Double) -> TimeInterval {
        let step = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return step / 2 + step / 2 * min(max(random, 0), 1)
    }

    /// What follows attempt number `attempt` (1-based) ending with `outcome` at `now`.
    public func decide(attempt: Int, outcome: DeliveryOutcome, now: Date, random: Double) -> NoticeDecision {
        switch outcome {
        case .delivered:
            return .done
        case .irrelevant(let reason):
            return .cancelled(reason: reason)
        case .permanent(let error):
            return .dead(error: error)
        case .gone(let error):
            return .subscriptionGone(error: error)
        case .transient(let error, let retryAfter):
            guard attempt < maxAttempts else { return .dead(error: "gave up after \(attempt) attempts: \(error)") }
            let wait = retryAfter.map { min(cap, max(0, $0)) } ?? delay(after: attempt, random: random)
            return .retry(at: now.addingTimeInterval(wait), error: error)
        }
    }
}

/// The kinds of notice Agora sends; each has its words in every template language.
public enum NoticeKind: String, Sendable, CaseIterable {
    case accountInvited = "account_invited"
    case nominationReceived = "nomination.received"
    case nominationDeadlineReminder = "nomination.deadline_reminder"
    case selectionResult = "selection.result"
    case confirmationRequested = "speaker.confirmation_requested"
    case confirmationReminder = "speaker.confirmation_reminder"
    case confirmationDeadlineMoved = "speaker.confirmation_deadline_moved"
    case sessionReminder = "speaker.session_reminder"
    case agendaChanged = "agenda.changed"
    case hearingScheduled = "forum.hearing_scheduled"
    case proceedingsTransmitted = "proceedings.transmitted"
    case subscriptionConfirm = "subscription.confirm"
    case bookingConfirmed = "booking.confirmed"
    case bookingCancelled = "booking.cancelled"
    case bookingReleased = "booking.released"
}

/// Notice timing rules that writers of the outbox share.
public enum NoticeTiming {
    /// Speaker reminders, before the session's start.
    public static let sessionReminderLeads: [(label: String, seconds: TimeInterval)] = [("7d", 7 * 86400), ("1d", 86400)]
    /// The confirmation reminder, before the deadline.
    public static let confirmationReminderLead: TimeInterval = 2 * 86400
    /// Nomination deadline reminders, before the deadline; only the nearest one due is sent.
    public static let nominationReminderLeads: [(label: String, seconds: TimeInterval)] = [("3d", 3 * 86400), ("1d", 86400)]
    /// The default quiet period of agenda-change notices.
    public static let defaultQuietPeriod: TimeInterval = 600

    /// The longest an agenda-change notice waits for publishes to stop: six quiet periods, and
    /// at least an hour.
    public static func longestCoalescing(quietPeriod: TimeInterval) -> TimeInterval {
        max(6 * quietPeriod, 3600)
    }

    /// The nomination reminder due at `now` for a deadline: the one with the smallest lead whose
    /// time has come, so a late first look sends one reminder, not two.
    public static func nominationReminder(deadline: Date, now: Date) -> String? {
        guard now < deadline else { return nil }
        return nominationReminderLeads.filter { deadline.addingTimeInterval(-$0.seconds) <= now }.min { $0.seconds < $1.seconds }?.label
    }
}

/// ISO 8601 instants in UTC to the second (`2027-01-15T08:00:00Z`), written without a
/// formatter: Foundation's formatters go through ICU and cost more than the rest of a webhook.
public enum ISOInstant {
    public static func string(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}
