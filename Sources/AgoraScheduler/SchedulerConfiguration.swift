import Agora
import AgoraStore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresClient
import SMTPClient
import ServiceLifecycle

/// The scheduler's settings, each from an environment variable (see the README).
public struct SchedulerConfiguration: Sendable {
    /// `AGORA_SMTP_URL`: `smtp://user:pass@host:port?starttls=required`; nil writes `.eml` files instead.
    public var smtp: SMTPConfiguration?
    /// `AGORA_SMTP_FROM`: the sender, `Name <address>` or `address` (default `Agora <agora@localhost>`).
    public var from: MailAddress
    /// `AGORA_SMTP_CONNECTIONS`: SMTP sessions kept open (default 4).
    public var smtpConnections: Int
    /// `AGORA_MAIL_DIR`: where e-mails are written without SMTP (default `.agora/mail`).
    public var mailDirectory: String
    /// `AGORA_WEBHOOK_ALLOW`: special addresses webhooks may call anyway (CIDR blocks, host names).
    public var webhookPolicy: WebhookAddressPolicy
    /// `AGORA_WEBHOOK_TIMEOUT`: seconds per webhook request (default 15).
    public var webhookTimeout: Int
    /// `AGORA_PUBLIC_URL`: the base of links in notices (default `http://127.0.0.1:8080`).
    public var publicURL: String
    /// `AGORA_NOTICE_LEASE` (seconds, default 60), `AGORA_NOTICE_MAX_ATTEMPTS` (default 13),
    /// `AGORA_NOTICE_BATCH` (default 32), `AGORA_NOTICE_CONCURRENCY` (default 32).
    public var delivery: DeliverySettings
    /// `AGORA_NOTICE_POLL`: seconds between looks at the outbox without a signal (default 5).
    public var poll: Int

    /// Reads the settings from `environment`; an unreadable one is an error naming it.
    public init(environment: [String: String]) throws {
        func number(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = environment[name] else { return fallback }
            guard let value = Int(text), range.contains(value) else { throw ConfigurationError("\(name) must be a number in \(range).") }
            return value
        }
        smtp = try environment["AGORA_SMTP_URL"].flatMap { $0.isEmpty ? nil : try SMTPConfiguration(url: $0) }
        // Invitation codes travel by e-mail: unless the URL says otherwise, a relay beyond this
        // machine must offer STARTTLS (an attacker in the path could strip it).
        if let url = environment["AGORA_SMTP_URL"], !url.contains("starttls="), let host = smtp?.host,
           !["127.0.0.1", "localhost", "::1"].contains(host) {
            smtp?.security = .startTLSRequired
        }
        from = try Self.address(environment["AGORA_SMTP_FROM"] ?? "Agora <agora@localhost>")
        smtpConnections = try number("AGORA_SMTP_CONNECTIONS", 4, 1...64)
        mailDirectory = environment["AGORA_MAIL_DIR"] ?? ".agora/mail"
        do { webhookPolicy = try WebhookAddressPolicy(allowList: environment["AGORA_WEBHOOK_ALLOW"] ?? "") } catch {
            throw ConfigurationError(error.description)
        }
        webhookTimeout = try number("AGORA_WEBHOOK_TIMEOUT", 15, 1...300)
        publicURL = environment["AGORA_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
        delivery = DeliverySettings()
        delivery.lease = TimeInterval(try number("AGORA_NOTICE_LEASE", 60, 2...86400))
        delivery.retry.maxAttempts = try number("AGORA_NOTICE_MAX_ATTEMPTS", 13, 1...50)
        delivery.batchSize = try number("AGORA_NOTICE_BATCH", 32, 1...1000)
        delivery.concurrency = try number("AGORA_NOTICE_CONCURRENCY", 32, 1...256)
        poll = try number("AGORA_NOTICE_POLL", 5, 1...3600)
        guard delivery.lease >= 2 * TimeInterval(webhookTimeout) else {
            throw ConfigurationError("AGORA_NOTICE_LEASE must be at least twice AGORA_WEBHOOK_TIMEOUT, or a slow send would be claimed twice.")
        }
        guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
              publicURL.allSatisfy(\.isASCII) else {
            throw ConfigurationError("AGORA_PUBLIC_URL must be an http or https URL, such as https://agora.example.org.")
        }
    }

    /// `Name <address>` or `address`.
    static func address(_ text: String) throws -> MailAddress {
        let text = text.trimmingCharacters(in: .whitespaces)
        do {
            if let open = text.lastIndex(of: "<"), text.hasSuffix(">") {
                let name = text[..<open].trimmingCharacters(in: .whitespaces)
                return try MailAddress(String(text[text.index(after: open)..<text.index(before: text.endIndex)]), name: name.isEmpty ? nil : name)
            }
            return try MailAddress(text)
        } catch {
            throw ConfigurationError("AGORA_SMTP_FROM must be an address or Name <address>: \(error)")
        }
    }
}

/// A setting that cannot be read.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Notice delivery as a service: the scheduler with its channels, which it closes when it stops.
public struct NoticeService: Service {
    let scheduler: NoticeScheduler
    let webhooks: WebhookChannel
    let smtp: SMTPTransport?
    let logger: Logger

    /// The scheduler over `pool`, configured by `configuration`. Without SMTP settings it says
    /// where it writes e-mails instead.
    public init(pool: PostgresConnectionPool, configuration: SchedulerConfiguration, logger: Logger) throws {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .seconds(5), read: .seconds(Int64(configuration.webhookTimeout)))
        webhooks = WebhookChannel(configuration: http, policy: configuration.webhookPolicy, timeout: .seconds(configuration.webhookTimeout),
                                  concurrentConnections: configuration.delivery.concurrency)
        let mail: any MailTransport
        if let smtp = configuration.smtp {
            let transport = SMTPTransport(configuration: smtp, connections: configuration.smtpConnections)
            self.smtp = transport
            mail = transport
            logger.info("e-mails go to the SMTP server", metadata: ["host": "\(smtp.host):\(smtp.port)"])
        } else {
            self.smtp = nil
            mail = try MailDrop(directory: URL(fileURLWithPath: configuration.mailDirectory))
            logger.notice("no AGORA_SMTP_URL: e-mails are written as .eml files", metadata: ["directory": "\(configuration.mailDirectory)"])
            print("No AGORA_SMTP_URL set: e-mails are written as .eml files under \(configuration.mailDirectory)/")
        }
        let delivery = NoticeDelivery(
            store: NoticeStore(pool: pool), publicURL: configuration.publicURL, mail: mail, from: configuration.from,
            webhooks: webhooks,
            settings: configuration.delivery, logger: logger)
        scheduler = NoticeScheduler(database: pool.configuration, delivery: delivery, poll: .seconds(configuration.poll), logger: logger)
        self.logger = logger
    }

    public func run() async throws {
        try await scheduler.run()
        await smtp?.close()
        await webhooks.shutdown()
    }
}

extension PeriodicJob {
    /// Writes the nomination deadline reminders that have come due (3 days and 1 day before),
    /// every minute by default.
    public static func nominationDeadlineReminders(store: NoticeStore, interval: Duration = .seconds(60), logger: Logger) -> PeriodicJob {
        PeriodicJob(every: interval, done: "wrote nomination deadline reminders", logger: logger) {
            try await store.nominationDeadlineReminders(now: Date())
        }
    }
}
