/// Why an SMTP operation failed, and whether trying again later can help.
///
/// A delivery queue needs one decision from an error: retry later or give up. ``isPermanent``
/// gives it; ``kind`` and ``description`` say what happened for the log.
public struct SMTPError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The stable classification of an ``SMTPError``.
    public enum Kind: Sendable, Equatable {
        /// The configuration cannot work (bad URL, unreadable CA file, STARTTLS required but not
        /// offered, credentials that would travel unencrypted, no usable AUTH mechanism).
        case configuration
        /// Connecting, TLS, a timeout or a connection lost: transient.
        case connection
        /// The server answered with a 4xx (transient) or 5xx (permanent) reply.
        case rejected(code: Int, text: String)
        /// The server said something that is not SMTP (a malformed or over-long reply line).
        case protocolViolation
        /// The message itself cannot be sent (a malformed address or header): permanent.
        case invalidMessage
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// A human-readable account, naming the command or setting involved.
    public var message: String

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `true` when retrying the same message cannot succeed: 5xx replies, invalid messages and
    /// configuration errors. `false` for 4xx replies, timeouts, lost connections and protocol
    /// violations (a confused server may recover; the queue's retry limit bounds the cost).
    public var isPermanent: Bool {
        switch kind {
        case .configuration, .invalidMessage: true
        case .rejected(let code, _): code >= 500
        case .connection, .protocolViolation: false
        }
    }

    /// The reply code when the server rejected a command, else `nil`.
    public var replyCode: Int? {
        if case .rejected(let code, _) = kind { return code }
        return nil
    }

    /// A one-line description: the kind and the message.
    public var description: String {
        switch kind {
        case .configuration: "SMTP configuration error: \(message)"
        case .connection: "SMTP connection error: \(message)"
        case .rejected(let code, let text): "SMTP server rejected \(message): \(code) \(text)"
        case .protocolViolation: "SMTP protocol violation: \(message)"
        case .invalidMessage: "SMTP message cannot be sent: \(message)"
        }
    }

    static func configuration(_ message: String) -> SMTPError { SMTPError(.configuration, message) }
    static func connection(_ message: String) -> SMTPError { SMTPError(.connection, message) }
    static func protocolViolation(_ message: String) -> SMTPError { SMTPError(.protocolViolation, message) }
    static func invalidMessage(_ message: String) -> SMTPError { SMTPError(.invalidMessage, message) }
}
