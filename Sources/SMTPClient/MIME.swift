import Foundation

/// The encodings a message needs on a 7-bit SMTP path: RFC 2045 quoted-printable and base64,
/// RFC 2047 encoded-words, RFC 5322 header folding and dates.
enum MIME {
    /// The folding target of RFC 5322 2.1.1 (lines "SHOULD" stay within 78 characters).
    static let foldLimit = 78
    /// The longest encoded-word RFC 2047 2 allows.
    static let encodedWordLimit = 75
    /// Body lines of both transfer encodings stay within RFC 2045's 76 characters.
    static let bodyLineLimit = 76

    /// Splits text into lines on CRLF, lone CR and lone LF alike, so no bare CR or LF survives.
    static func lines(of text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append(bytes[start..<index])
                index += (byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    /// The transfer encoding for a body part: base64 when quoted-printable would escape so much
    /// that it is larger (roughly one byte in six needs escaping), else quoted-printable, which
    /// keeps mostly-Latin text readable in the raw message.
    static func prefersBase64(_ text: String) -> Bool {
        let escaped = text.utf8.reduce(0) { count, byte in
            count + (byte >= 0x7F || byte == UInt8(ascii: "=") || (byte < 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09) ? 1 : 0)
        }
        return escaped * 6 > text.utf8.count
    }

    /// RFC 2045 6.7 quoted-printable, with line breaks normalised to CRLF hard breaks and soft
    /// breaks keeping every line within 76 characters. Trailing space or tab is escaped, as the rule
    /// requires (transports may strip it).
    static func quotedPrintable(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for (number, line) in lines(of: text).enumerated() {
            if number > 0 { output += "\r\n" }
            var lineLength = 0
            for index in line.indices {
                let token = quotedPrintableToken(line[index], atLineEnd: index == line.index(before: line.endIndex))
                // Room for the "=" of a soft break keeps the line at 76.
                if lineLength + token.utf8.count > bodyLineLimit - 1 {
                    output += "=\r\n"
                    lineLength = 0
                }
                output += token
                lineLength += token.utf8.count
            }
        }
        return output
    }

    private static func quotedPrintableToken(_ byte: UInt8, atLineEnd: Bool) -> String {
        let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !atLineEnd)
        return literal ? String(UnicodeScalar(byte)) : "=" + hex(byte)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    /// Base64 of the text with its line breaks normalised to CRLF (RFC 2046 4.1.1: text parts use
    /// CRLF even when encoded), in lines of 76 characters joined by CRLF.
    static func base64Body(_ text: String) -> String {
        let normalised = lines(of: text).map { Array($0) }.joined(separator: [0x0D, 0x0A])
        let encoded = Data(normalised).base64EncodedString()
        var lines: [Substring] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: bodyLineLimit, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[start..<end])
            start = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 2047 "B" encoded-words for `text`, each at most `maxLength` characters (the first at
    /// most `firstMaxLength`, to fit after a header name). Words end on character boundaries:
    /// a grapheme is never split when it fits a word, and a UTF-8 sequence never is (RFC 2047 5).
    static func encodedWords(_ text: String, firstMaxLength: Int = encodedWordLimit, maxLength: Int = encodedWordLimit) -> [String] {
        let overhead = "=?UTF-8?B??=".utf8.count
        var words: [String] = []
        var chunk: [UInt8] = []
        func limit() -> Int { (words.isEmpty ? firstMaxLength : maxLength) - overhead }
        func fits(_ extra: Int) -> Bool { (chunk.count + extra + 2) / 3 * 4 <= limit() }
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
            chunk = []
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if !fits(bytes.count) { flush() }
            if fits(bytes.count) {
                chunk += bytes
                continue
            }
            // A grapheme too long for one word (a long emoji sequence): split between its scalars.
            for scalar in character.unicodeScalars {
                let scalarBytes = Array(String(scalar).utf8)
                if !fits(scalarBytes.count) { flush() }
                chunk += scalarBytes
            }
        }
        flush()
        return words
    }

    /// Whether unstructured header text can go on the wire as it is: printable ASCII that a
    /// decoder will not mistake for an encoded-word and whose words fold within 998 octets.
    static func isPlainHeaderText(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && !text.contains("=?")
            && !text.hasPrefix(" ") && !text.hasSuffix(" ")
            && text.split(separator: " ").allSatisfy { $0.utf8.count <= 900 }
    }

    /// RFC 5322 3.3 date-time in UTC: `Mon, 02 Jun 2025 14:03:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}

/// Builds one header field, folding before a token when the line would pass 78 characters.
///
/// Folding only inserts CRLF before an existing space, so unfolding (removing the CRLFs)
/// gives back exactly the value that was appended.
struct HeaderFolder {
    private var lines: [String]
    private var hasToken = false

    init(name: String) {
        lines = [name + ":"]
    }

    /// Characters left on the current line.
    var remaining: Int { MIME.foldLimit - lines[lines.count - 1].utf8.count }

    /// The length an encoded-word may take to fit on the current line after a space, or the full
    /// 75 when so little is left that it will go on a new line anyway.
    var encodedWordBudget: Int {
        remaining - 1 >= 24 ? min(MIME.encodedWordLimit, remaining - 1) : MIME.encodedWordLimit
    }

    /// Appends a space and the token, folding before the space when the line would be too long.
    /// An empty token never starts a line, as a line of only white space is not allowed.
    mutating func append(_ token: String) {
        let last = lines.count - 1
        if !hasToken || token.isEmpty || lines[last].utf8.count + 1 + token.utf8.count <= MIME.foldLimit {
            lines[last] += " " + token
        } else {
            lines.append(" " + token)
        }
        hasToken = true
    }

    /// Appends text with no space before it (a comma after an address).
    mutating func attach(_ text: String) {
        lines[lines.count - 1] += text
    }

    /// The header field, lines joined by CRLF, without a final CRLF.
    var rendered: String { lines.joined(separator: "\r\n") }
}
