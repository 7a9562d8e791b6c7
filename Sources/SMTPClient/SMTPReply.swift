/// One SMTP reply (RFC 5321 4.2): a three-digit code and one or more lines of text.
struct SMTPReply: Sendable, Equatable {
    /// The reply code, 200…599.
    var code: Int
    /// The text of each line, after the code and its separator.
    var lines: [String]

    /// The text of all lines, joined by spaces, for error messages.
    var text: String { lines.joined(separator: " ") }

    var isPositiveCompletion: Bool { (200..<300).contains(code) }
}

/// Gathers reply lines into replies: `250-…` lines continue a reply, `250 …` (or a bare `250`)
/// ends it, and every line of one reply must carry the same code.
struct SMTPReplyAssembler {
    /// A bound on lines per reply, so a hostile server cannot grow one reply without end.
    static let maximumLines = 200

    private var code: Int?
    private var lines: [String] = []

    /// Adds one line; returns the reply it completes, if any.
    mutating func add(_ line: [UInt8]) throws -> SMTPReply? {
        guard line.count >= 3,
            let text = String(validating: line, as: UTF8.self),
            line[0] >= UInt8(ascii: "2"), line[0] <= UInt8(ascii: "5"),
            line[1] >= UInt8(ascii: "0"), line[1] <= UInt8(ascii: "9"),
            line[2] >= UInt8(ascii: "0"), line[2] <= UInt8(ascii: "9"),
            let lineCode = Int(text.prefix(3))
        else {
            throw SMTPError.protocolViolation("malformed reply line '\(Self.printable(line))'")
        }
        let isLast: Bool
        switch line.count > 3 ? line[3] : UInt8(ascii: " ") {
        case UInt8(ascii: " "): isLast = true
        case UInt8(ascii: "-"): isLast = false
        default: throw SMTPError.protocolViolation("malformed reply line '\(Self.printable(line))'")
        }
        if let code, code != lineCode {
            throw SMTPError.protocolViolation("reply lines mix codes \(code) and \(lineCode)")
        }
        guard lines.count < Self.maximumLines else {
            throw SMTPError.protocolViolation("reply has more than \(Self.maximumLines) lines")
        }
        code = lineCode
        lines.append(String(text.dropFirst(4)))
        guard isLast else { return nil }
        defer { code = nil; lines = [] }
        return SMTPReply(code: lineCode, lines: lines)
    }

    /// A short, printable excerpt of a bad line for the error message.
    private static func printable(_ line: [UInt8]) -> String {
        String(decoding: line.prefix(80).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
