import Agora
import AgoraStore
import Foundation
import Logging
import Metrics
import SMTPClient

/// What one delivery round did.
public struct DeliveryRound: Sendable, Equatable {
    public var claimed = 0
    public var delivered = 0
    public var retried = 0
    public var dead = 0
    public var cancelled = 0
    /// Outcomes not recorded because the attempt was no longer current (another scheduler took
    /// the notice after this one's lease ran out); not counted as anything else.
    public var fenced = 0
    public init() {}

    mutating func count(_ decision: NoticeDecision, recorded: Bool) {
        guard recorded else { fenced += 1; return }
        switch decision {
        case .done: delivered += 1
        case .retry: retried += 1
        case .dead, .subscriptionGone: dead += 1
        case .cancelled: cancelled += 1
        }
    }
}

/// Settings of notice delivery.
public struct DeliverySettings: Sendable {
    /// How long a claimed notice is this scheduler's: longer than the longest send (the
    /// webhook timeout and an SMTP session's timeouts) so that only a stopped scheduler loses it.
    /// Each outcome is recorded as soon as it is known, and a round claims no more notices than
    /// it sends at once (``concurrency``), so every send of a round starts when it is claimed.
    public var lease: TimeInterval = 60
    /// Notices claimed per round (at most ``concurrency``).
    public var batchSize = 32
    /// Sends in flight at once within a round.
    public var concurrency = 32
    public var retry = RetryPolicy.standard
    /// What a round claims: the batch, but no more than are sent at once.
    public var roundSize: Int { max(1, min(batchSize, concurrency)) }
    public init() {}
}

/// Delivers due notices: a plain function of `now` and the stores (``deliverDue(now:)``), so
/// tests drive it with a fixed clock; ``NoticeScheduler`` is the thin service around it.
///
/// A round claims a batch (``NoticeStore/claim(now:lease:limit:maxAttempts:)``), completes each
/// notice's content as the database has it now, renders it in the reader's language, sends it
/// by its channel, and records every outcome fenced by the attempt it claimed. A scheduler that
/// dies between sending and recording leaves the notice to be claimed again when the lease runs
/// out: it is sent again with the same id, which the receiver uses to drop the duplicate.
public struct NoticeDelivery: Sendable {
    let store: NoticeStore
    let renderer: NoticeRenderer
    let mail: any MailTransport
    let composer: MailComposer
    let webhooks: WebhookChannel
    let settings: DeliverySettings
    let random: @Sendable () -> Double
    let logger: Logger

    /// - Parameters:
    ///   - publicURL: the base of links in notices (the API's public address).
    ///   - from: the sender of e-mails.
    ///   - random: jitter source in 0..<1 (tests fix it).
    public init(store: NoticeStore, publicURL: String, mail: any MailTransport, from: MailAddress, webhooks: WebhookChannel,
                settings: DeliverySettings = DeliverySettings(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                logger: Logger) {
        self.store = store
        self.renderer = NoticeRenderer(publicURL: publicURL)
        self.mail = mail
        self.composer = MailComposer(from: from)
        self.webhooks = webhooks
        self.settings = settings
        self.random = random
        self.logger = logger
    }

    /// Claims and delivers one batch of the notices due at `now`.
    public func deliverDue(now: Date) async throws -> DeliveryRound {
        let claimed = try await store.claim(now: now, lease: settings.lease, limit: settings.roundSize, maxAttempts: settings.retry.maxAttempts)
        var round = DeliveryRound()
        round.claimed = claimed.count
        guard !claimed.isEmpty else { return round }
        let forumIDs = Set(claimed.compactMap { notice -> UUID? in
            if case .string(let id)? = notice.payload["forum"] { UUID(uuidString: id) } else { nil }
        })
        let forums = (try? await store.forums(Array(forumIDs))) ?? [:]
        // Every send starts now, and each records its own outcome as soon as it is known: a slow
        // send holds no other notice's outcome back past its lease. An outcome that cannot be
        // recorded (the database is away) leaves the notice to come back when its lease ends.
        await withTaskGroup(of: (NoticeDecision, Bool).self) { group in
            for notice in claimed {
                group.addTask {
                    let result = await self.attempt(notice, now: now, forums: forums)
                    return (result.decision, await self.record(result, notice: notice.publicID))
                }
            }
            for await (decision, recorded) in group { round.count(decision, recorded: recorded) }
        }
        return round
    }

    /// Records an outcome, trying again a few times (50 ms, 100 ms, … 800 ms) while the
    /// database is busy: fenced by the attempt, a repeated write is harmless, and an outcome
    /// lost here means a second send when the lease runs out. False when it was fenced out or
    /// could not be written.
    func record(_ result: NoticeAttemptResult, notice: UUID) async -> Bool {
        for attempt in 0..<5 {
            do {
                return try await store.record([result], now: Date()) == 1
            } catch {
                if attempt == 4 {
                    logger.warning("could not record a notice's outcome", metadata: ["notice": "\(notice)", "error": "\(error)"])
                    return false
                }
                try? await Task.sleep(for: .milliseconds(50 << attempt))
            }
        }
        return false
    }

    /// One attempt at one notice, decided.
    func attempt(_ notice: ClaimedNotice, now: Date, forums: [UUID: [String: JSONValue]] = [:]) async -> NoticeAttemptResult {
        let outcome = await deliver(notice, now: now, forums: forums)
        let decision = settings.retry.decide(attempt: notice.tries, outcome: outcome, now: now, random: random())
        Counter(label: "agora_notice_deliveries_total", dimensions: [("channel", notice.channel), ("result", Self.result(decision))]).increment()
        if case .delivered = outcome {} else {
            logger.info("notice not delivered", metadata: ["notice": "\(notice.publicID)", "kind": "\(notice.kind)", "attempt": "\(notice.attempt)",
                                                           "outcome": "\(outcome)"])
        }
        return NoticeAttemptResult(notice: notice.id, attempt: notice.attempt, decision: decision)
    }

    static func result(_ decision: NoticeDecision) -> String {
        switch decision {
        case .done: "delivered"
        case .retry: "retry"
        case .dead, .subscriptionGone: "dead"
        case .cancelled: "cancelled"
        }
    }

    func deliver(_ notice: ClaimedNotice, now: Date, forums: [UUID: [String: JSONValue]]) async -> DeliveryOutcome {
        let values: [String: JSONValue]
        do {
            switch try await store.content(of: notice, now: now, forums: forums) {
            case .irrelevant(let reason): return .irrelevant(reason)
            case .send(let content): values = content
            }
        } catch {
            return .transient("could not read the notice's content: \(error)")
        }
        switch notice.channel {
        case "webhook":
            guard let url = notice.webhookURL, let secret = notice.webhookSecret else { return .permanent("the webhook subscription has no URL") }
            return await webhooks.send(id: notice.publicID.uuidString.lowercased(), kind: notice.kind, url: url, secret: secret,
                                       data: Self.webhookData(values))
        default:
            guard let address = notice.address else { return .irrelevant("the recipient has no e-mail address") }
            let reader: UUID? = if case .person(let person) = notice.recipient { person } else { nil }
            guard let words = renderer.render(kind: notice.kind, language: notice.language, values: values, reader: reader) else {
                return .permanent("no template for notice kind \(notice.kind)")
            }
            let message = composer.message(id: notice.publicID, to: address, name: notice.name, notice: words,
                                           unsubscribeURL: words.unsubscribeURL, now: now)
            return await mail.send(message)
        }
    }

    /// What a webhook receives: the notice's values without the one-time codes meant for
    /// e-mail readers.
    static func webhookData(_ values: [String: JSONValue]) -> [String: JSONValue] {
        values.filter { !["code", "unsubscribeCode", "optOutCode"].contains($0.key) }
    }
}
