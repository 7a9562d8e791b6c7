import Foundation

/// An e-mail message, rendered as RFC 5322 / MIME for a 7-bit SMTP path.
public struct MailMessage: Sendable {
    /// The author, also the envelope sender (MAIL FROM).
    public var from: MailAddress
    /// The recipients, also the envelope recipients (RCPT TO).
    public var to: [MailAddress]
    /// The subject, any Unicode without line breaks.
    public var subject: String
    /// The Message-ID without angle brackets, e.g. `3f2c…@agora`.
    public var messageID: String
    /// The Date header.
    public var date: Date
    /// Further headers (List-Unsubscribe, List-Unsubscribe-Post, Auto-Submitted, …): printable
    /// ASCII names and values, no line breaks.
    public var extraHeaders: [(name: String, value: String)]
    /// The plain-text body.
    public var text: String
    /// An HTML alternative; when present the message is multipart/alternative (text first).
    public var html: String?

    /// Creates a message.
    public init(
        from: MailAddress,
        to: [MailAddress],
        subject: String,
        messageID: String,
        date: Date = Date(),
        extraHeaders: [(name: String, value: String)] = [],
        text: String,
        html: String? = nil
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
        self.text = text
        self.html = html
    }

    /// A fresh random Message-ID (128 random bits) in the given domain, without angle brackets.
    public static func makeMessageID(domain: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: ".")
        return "\(random)@\(domain)"
    }

    /// The headers this type writes itself, which an extra header must not repeat.
    static let ownHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding",
    ]

    /// Checks everything ``rendered()`` cannot repair: addresses, recipients, line breaks in the
    /// subject, the Message-ID and extra headers. Throws an `.invalidMessage` ``SMTPError``.
    public func validate() throws {
        try from.validate()
        guard !to.isEmpty else { throw SMTPError.invalidMessage("message has no recipient") }
        for recipient in to { try recipient.validate() }
        guard !subject.contains(where: \.isNewline) else {
            throw SMTPError.invalidMessage("subject has a line break")
        }
        let idBytes = Array(messageID.utf8)
        guard !idBytes.isEmpty, idBytes.count <= 900, messageID.contains("@"),
            idBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
        else {
            throw SMTPError.invalidMessage("Message-ID '\(messageID)' must be printable ASCII with an @, no spaces or angle brackets")
        }
        for header in extraHeaders { try Self.validate(header: header) }
    }

    private static func validate(header: (name: String, value: String)) throws {
        guard !header.name.isEmpty, header.name.utf8.count <= 76,
            header.name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
        else {
            throw SMTPError.invalidMessage("header name '\(header.name)' must be printable ASCII without ':' or spaces")
        }
        guard !ownHeaders.contains(header.name.lowercased()) else {
            throw SMTPError.invalidMessage("header '\(header.name)' is written by the message itself")
        }
        guard header.value.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }) else {
            throw SMTPError.invalidMessage("value of header '\(header.name)' must be printable ASCII without line breaks")
        }
        guard header.value.split(separator: " ").allSatisfy({ $0.utf8.count <= 900 }) else {
            throw SMTPError.invalidMessage("value of header '\(header.name)' has a word too long to fold within 998 octets")
        }
    }

    /// The RFC 5322 message, ready for DATA (before dot-stuffing).
    ///
    /// CRLF line ends only; headers folded within 78 characters where the text allows; display
    /// names and subject as RFC 2047 encoded-words when they are not plain ASCII; MIME-Version 1.0;
    /// text/plain (or multipart/alternative, text then HTML, with a boundary that cannot occur in
    /// the encoded parts); each part quoted-printable or base64. Input that ``validate()`` would
    /// refuse is made harmless (line breaks become spaces, bad extra headers are left out), so the
    /// result can never carry injected headers.
    public func rendered() -> [UInt8] {
        var header = [
            "Date: " + MIME.rfc5322Date(date),
            Self.addressHeader("From", [from]),
            Self.addressHeader("To", to),
            Self.unstructuredHeader("Subject", Self.oneLine(subject)),
            "Message-ID: <" + Self.oneLine(messageID).filter { $0 != "<" && $0 != ">" && $0 != " " } + ">",
            "MIME-Version: 1.0",
        ]
        for extra in extraHeaders where (try? Self.validate(header: extra)) != nil {
            header.append(Self.unstructuredHeader(extra.name, extra.value))
        }
        var body: String
        if let html {
            let boundary = Self.makeBoundary()
            header.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body = "This is a message in MIME format.\r\n"
            for (type, content) in [("text/plain", text), ("text/html", html)] {
                body += "\r\n--\(boundary)\r\n" + Self.part(type: type, content: content)
            }
            body += "\r\n--\(boundary)--\r\n"
        } else {
            body = Self.part(type: "text/plain", content: text, into: &header)
            if !body.hasSuffix("\r\n") { body += "\r\n" }
        }
        return Array((header.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    /// A body part: its own headers, a blank line, the encoded content.
    private static func part(type: String, content: String) -> String {
        var headers: [String] = []
        let encoded = part(type: type, content: content, into: &headers)
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + encoded
    }

    /// Appends the Content-Type and Content-Transfer-Encoding headers to `headers` and returns the
    /// encoded content.
    private static func part(type: String, content: String, into headers: inout [String]) -> String {
        headers.append("Content-Type: \(type); charset=utf-8")
        if MIME.prefersBase64(content) {
            headers.append("Content-Transfer-Encoding: base64")
            return MIME.base64Body(content)
        }
        headers.append("Content-Transfer-Encoding: quoted-printable")
        return MIME.quotedPrintable(content)
    }

    /// "=_" can never occur in quoted-printable ("=" is followed by hex or CRLF) nor in base64
    /// (no "_"), so this boundary cannot occur in the encoded parts.
    private static func makeBoundary() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return "=_agora_" + String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    /// An unstructured header (Subject, extra headers): plain folded ASCII when that represents
    /// the text exactly, else encoded-words.
    static func unstructuredHeader(_ name: String, _ value: String) -> String {
        var folder = HeaderFolder(name: name)
        if MIME.isPlainHeaderText(value) {
            for word in value.split(separator: " ", omittingEmptySubsequences: false) { folder.append(String(word)) }
        } else {
            for word in MIME.encodedWords(value, firstMaxLength: folder.encodedWordBudget) { folder.append(word) }
        }
        return folder.rendered
    }

    /// An address-list header: `Name <address>` mailboxes separated by commas, folded between tokens.
    static func addressHeader(_ name: String, _ mailboxes: [MailAddress]) -> String {
        var folder = HeaderFolder(name: name)
        for (index, mailbox) in mailboxes.enumerated() {
            if let displayName = mailbox.name.map(oneLine), !displayName.isEmpty {
                for token in phraseTokens(displayName, budget: folder.encodedWordBudget) { folder.append(token) }
            }
            folder.append("<" + oneLine(mailbox.address) + ">")
            if index < mailboxes.count - 1 { folder.attach(",") }
        }
        return folder.rendered
    }

    /// A display name as RFC 5322 phrase tokens: atoms when it is simple ASCII, a quoted-string when
    /// it is other short ASCII, else encoded-words.
    private static func phraseTokens(_ name: String, budget: Int) -> [String] {
        let atomSpecials = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        let isAtom: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || atomSpecials.contains($0) }
        let words = name.split(separator: " ", omittingEmptySubsequences: false)
        if !name.contains("=?"), words.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 70 && $0.utf8.allSatisfy(isAtom) }) {
            return words.map(String.init)
        }
        if MIME.isPlainHeaderText(name), name.utf8.count <= 60 {
            return ["\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""]
        }
        return MIME.encodedWords(name, firstMaxLength: budget)
    }
}
