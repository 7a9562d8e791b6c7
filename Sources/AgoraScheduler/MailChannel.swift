import Agora
import Foundation
import NIOCore
import NIOPosix
import SMTPClient

/// Where e-mails go: an SMTP server, or a folder of `.eml` files when none is configured.
public protocol MailTransport: Sendable {
    /// Sends one message; never throws: every failure is an outcome.
    func send(_ message: MailMessage) async -> DeliveryOutcome
}

/// Writes each e-mail as `<Message-ID>.eml` in a folder (what `make run` does without SMTP
/// settings), so a newcomer can read what would have been sent. The file appears whole or not
/// at all (written aside, then renamed).
public struct MailDrop: MailTransport {
    public let directory: URL

    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
    }

    public func send(_ message: MailMessage) async -> DeliveryOutcome {
        let name = message.messageID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        let target = directory.appendingPathComponent(String(name) + ".eml")
        let aside = directory.appendingPathComponent("." + String(name) + ".tmp")
        do {
            try Data(message.rendered()).write(to: aside)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: aside, to: target)
            return .delivered
        } catch {
            return .transient("could not write \(target.path): \(error)")
        }
    }
}

/// Sends e-mails to an SMTP server over up to `connections` sessions kept open between
/// messages, so a burst of notices does not pay a handshake (and a STARTTLS) per e-mail.
public actor SMTPTransport: MailTransport {
    private let configuration: SMTPConfiguration
    private let connections: Int
    private var idle: [SMTPClient] = []
    private var open = 0
    private var waiting: [CheckedContinuation<SMTPClient, Never>] = []

    public init(configuration: SMTPConfiguration, connections: Int = 4) {
        self.configuration = configuration
        self.connections = max(1, connections)
    }

    public func send(_ message: MailMessage) async -> DeliveryOutcome {
        let client = await checkOut()
        defer { checkIn(client) }
        do {
            try await client.send(message)
            return .delivered
        } catch let error as SMTPError {
            let text = "SMTP: " + Self.withoutAddresses(error.description)
            return Self.isPermanent(error) ? .permanent(text) : .transient(text)
        } catch {
            return .transient("SMTP: " + Self.withoutAddresses("\(error)"))
        }
    }

    /// Permanent for this notice only when the server refused this recipient or this message
    /// (a 5xx about a mailbox or the content); a relay that refuses us (authentication, TLS, a
    /// 5xx to the sender) is a failure of the channel, tried again later like any outage, so a
    /// rotated password does not kill every notice in flight.
    static func isPermanent(_ error: SMTPError) -> Bool {
        switch error.kind {
        case .invalidMessage: return true
        case .rejected(let code, _): return [550, 551, 552, 553, 554].contains(code) && !error.message.uppercased().contains("AUTH")
        default: return false
        }
    }

    /// Error text without e-mail addresses (it ends up in the outbox and the logs, which
    /// operators read; addresses are personal data).
    static func withoutAddresses(_ text: String) -> String {
        text.replacing(/[^\s<>:"',;]+@[^\s<>:"',;]+/, with: "[address]")
    }

    /// Closes every idle session politely.
    public func close() async {
        let clients = idle
        idle = []
        for client in clients { await client.close() }
    }

    private func checkOut() async -> SMTPClient {
        if let client = idle.popLast() { return client }
        if open < connections {
            open += 1
            return SMTPClient(configuration: configuration)
        }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func checkIn(_ client: SMTPClient) {
        if waiting.isEmpty { idle.append(client) } else { waiting.removeFirst().resume(returning: client) }
    }
}

/// Turns a rendered notice into an e-mail: From the configured sender, To the recipient,
/// Message-ID from the notice's id (the same for every attempt), and a one-click unsubscribe
/// (RFC 8058) when the reader can unsubscribe.
struct MailComposer: Sendable {
    let from: MailAddress

    func message(id: UUID, to address: String, name: String?, notice: RenderedNotice, unsubscribeURL: String?, now: Date) -> MailMessage {
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "agora.invalid"
        var headers: [(name: String, value: String)] = [("Auto-Submitted", "auto-generated"), ("Content-Language", notice.language)]
        if let unsubscribeURL {
            headers.append(("List-Unsubscribe", "<\(unsubscribeURL)>"))
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        }
        return MailMessage(from: from, to: [MailAddress(unchecked: address, name: name)], subject: notice.subject,
                           messageID: "\(id.uuidString.lowercased())@\(domain)", date: now, extraHeaders: headers,
                           text: notice.text, html: notice.html)
    }
}
