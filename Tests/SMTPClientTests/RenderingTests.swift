import Foundation
@testable import SMTPClient
import Testing

@Suite("Message rendering") struct RenderingTests {
    /// The header block, unfolded into (name, raw value) pairs, and each raw physical line.
    private func headerLines(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        for line in crlfLines(bytes) {
            if line.isEmpty { break }
            lines.append(String(decoding: line, as: UTF8.self))
        }
        return lines
    }

    private func unfoldedHeader(_ name: String, in bytes: [UInt8]) -> String? {
        var fields: [String] = []
        for line in headerLines(bytes) {
            if line.hasPrefix(" ") || line.hasPrefix("\t") { fields[fields.count - 1] += line } else { fields.append(line) }
        }
        return fields.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test("a long non-ASCII subject becomes several encoded-words of at most 75 characters that decode back exactly")
    func encodedSubject() async throws {
        let message = try sampleMessage()
        let bytes = message.rendered()
        let subjectLines = headerLines(bytes).drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        #expect(subjectLines.count >= 3, "a subject this long needs several encoded-words")
        for line in subjectLines { #expect(line.utf8.count <= 78, "folded line too long: \(line)") }
        let raw = try #require(unfoldedHeader("Subject", in: bytes))
        let words = raw.split(separator: " ")
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.utf8.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            // Each word on its own is whole UTF-8: no sequence was split between two words.
            #expect(String(validating: Array(payload), as: UTF8.self) != nil, "word \(word) splits a UTF-8 sequence")
            decoded += payload
        }
        #expect(String(decoding: decoded, as: UTF8.self) == message.subject)
        #expect(try await parseWithPython(bytes).subject == message.subject)
    }

    /// The physical lines of the Subject, From and To fields (List-Unsubscribe holds URLs that
    /// cannot fold, so the 78-character rule is checked where folding is always possible).
    private func addressAndSubjectLines(_ bytes: [UInt8]) -> [String] {
        var current = ""
        var result: [String] = []
        for line in headerLines(bytes) {
            if !line.hasPrefix(" ") { current = String(line.prefix { $0 != ":" }) }
            if ["Subject", "From", "To"].contains(current) { result.append(line) }
        }
        return result
    }

    @Test("a plain ASCII subject stays readable and unfolds to itself")
    func plainSubject() async throws {
        var message = try sampleMessage(html: nil)
        message.subject = "Agenda published: " + Array(repeating: "session", count: 20).joined(separator: " ")
        let bytes = message.rendered()
        #expect(unfoldedHeader("Subject", in: bytes) == " " + message.subject)
        let lines = addressAndSubjectLines(bytes)
        #expect(lines.count > 3)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines)")
        #expect(try await parseWithPython(bytes).subject == message.subject)
    }

    @Test("every line ends in CRLF, none is longer than 998 octets, even for long unbroken text")
    func lineDiscipline() throws {
        let longLine = String(repeating: "é", count: 3000) + " " + String(repeating: "x", count: 5000)
        let message = try sampleMessage(text: "a\rb\nc\r\n" + longLine + "\n", html: "<p>" + longLine + "</p>\r")
        let bytes = message.rendered()
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
            if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)") }
        }
        #expect(bytes.suffix(2) == [0x0D, 0x0A])
        for line in crlfLines(bytes) { #expect(line.count <= 998) }
        #expect(bytes.allSatisfy { $0 < 0x80 }, "the message is 7-bit")
    }

    @Test("text and HTML round-trip as multipart/alternative, text first; headers as given")
    func multipartRoundTrip() async throws {
        let message = try sampleMessage()
        let bytes = message.rendered()
        let parsed = try await parseWithPython(bytes)
        #expect(parsed.defects.isEmpty, "\(parsed.defects)")
        #expect(parsed.contentType == "multipart/alternative")
        #expect(parsed.parts.map(\.type) == ["text/plain", "text/html"])
        #expect(parsed.parts.map(\.charset) == ["utf-8", "utf-8"])
        #expect(parsed.parts[0].content == message.text)
        #expect(parsed.parts[1].content == message.html)
        #expect(parsed.messageID == "<\(message.messageID)>")
        #expect(parsed.timestamp == message.date.timeIntervalSince1970)
        #expect(parsed.header("MIME-Version") == "1.0")
        for (name, value) in message.extraHeaders { #expect(parsed.header(name) == value, "\(name)") }
        #expect(parsed.from.name == "Forum de Genève — Secrétariat" && parsed.from.address == "notices@agora.example")
        #expect(parsed.to.map(\.name) == ["Alice Müller", ""])
        #expect(parsed.to.map(\.address) == ["alice@example.org", "bob@example.org"])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("Date: Thu, 28 May 2026 20:26:40 +0000\r\n"))
    }

    @Test("the boundary is random and occurs only as a delimiter")
    func boundary() throws {
        let message = try sampleMessage()
        let first = String(decoding: message.rendered(), as: UTF8.self)
        let second = String(decoding: message.rendered(), as: UTF8.self)
        let boundary = try #require(first.firstMatch(of: /boundary="([^"]+)"/)?.output.1)
        #expect(!second.contains(boundary), "two renderings share a boundary")
        let delimiters = first.components(separatedBy: "--" + boundary).count - 1
        #expect(delimiters == 3, "two opening delimiters and one closing")
        #expect(first.components(separatedBy: String(boundary)).count - 1 == 4, "the boundary appears only in the header and the delimiters")
    }

    @Test("text that is mostly non-Latin goes as base64 in lines of 76, Latin text as quoted-printable")
    func transferEncodings() async throws {
        let japanese = "アゴラのフォーラムへようこそ。次の会合は水曜日です。\n" + String(repeating: "議事録を確認してください。", count: 20) + "\n"
        let message = try sampleMessage(text: japanese, html: nil)
        let bytes = message.rendered()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("Content-Transfer-Encoding: base64\r\n"))
        let body = try #require(text.components(separatedBy: "\r\n\r\n").last)
        let bodyLines = body.split(separator: "\r\n")
        #expect(bodyLines.dropLast().allSatisfy { $0.count == 76 })
        let parsed = try await parseWithPython(bytes)
        #expect(parsed.contentType == "text/plain")
        #expect(parsed.parts[0].encoding == "base64")
        #expect(parsed.parts[0].content == japanese)

        let french = try sampleMessage(text: "Séance plénière à 14 h, salle 3 = la grande salle.  \nFin.\n", html: nil)
        let frenchBytes = french.rendered()
        #expect(String(decoding: frenchBytes, as: UTF8.self).contains("Content-Transfer-Encoding: quoted-printable\r\n"))
        let frenchParsed = try await parseWithPython(frenchBytes)
        #expect(frenchParsed.parts[0].content == french.text, "trailing spaces and '=' survive")
    }

    @Test("quoted-printable lines stay within 76 characters and decode to the original bytes")
    func quotedPrintableLimits() async throws {
        let text = String(repeating: "Résumé = ", count: 40) + "\n" + String(repeating: "x", count: 200) + "\t\n"
        let encoded = MIME.quotedPrintable(text)
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 76) }
        let parsed = try await parseWithPython(try sampleMessage(text: text, html: nil).rendered())
        #expect(parsed.parts[0].content == text)
    }

    @Test("ASCII display names with specials are quoted and survive")
    func quotedNames() async throws {
        var message = try sampleMessage(html: nil)
        message.from = try MailAddress("notices@agora.example", name: "Agora, \"Forum\" \\ Secretariat")
        message.to = (0..<12).map { MailAddress(unchecked: "participant\($0)@example.org", name: "Participant \($0)") }
        let bytes = message.rendered()
        let lines = addressAndSubjectLines(bytes)
        #expect(lines.filter { $0.hasPrefix("To:") || $0.hasPrefix(" ") }.count > 3, "twelve recipients need several lines")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines)")
        let parsed = try await parseWithPython(bytes)
        #expect(parsed.from.name == "Agora, \"Forum\" \\ Secretariat")
        #expect(parsed.to.map(\.name) == (0..<12).map { "Participant \($0)" })
        #expect(parsed.to.map(\.address) == (0..<12).map { "participant\($0)@example.org" })
    }

    @Test("an encoded-word never splits a character, even an emoji sequence or a long run of accents")
    func characterBoundaries() {
        let text = String(repeating: "👩‍👩‍👧‍👦é", count: 12) + String(repeating: "ü", count: 80)
        let words = MIME.encodedWords(text, firstMaxLength: 40)
        #expect(words[0].utf8.count <= 40)
        var decoded = ""
        for word in words {
            #expect(word.utf8.count <= 75)
            let payload = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!
            let piece = String(validating: Array(payload), as: UTF8.self)
            #expect(piece != nil)
            decoded += piece ?? ""
        }
        #expect(decoded == text)
    }

    @Test("invalid addresses and headers are refused as permanent, and rendering can never inject a header")
    func validation() throws {
        for bad in ["", "no-at", "two@@example.org", "a@b@c", "@example.org", "local@", "a b@example.org",
                    "<a@example.org>", "a@example.org\r\nBcc: x@y", "ü@example.org"] {
            #expect(throws: SMTPError.self, "\(bad)") { try MailAddress(bad) }
        }
        #expect(throws: SMTPError.self) { try MailAddress("a@example.org", name: "Eve\r\nBcc: x@y") }
        var message = try sampleMessage()
        message.extraHeaders = [("X-Note", "ok\r\nBcc: victim@example.org")]
        #expect(performing: { try message.validate() }, throws: { ($0 as? SMTPError)?.kind == .invalidMessage && ($0 as? SMTPError)?.isPermanent == true })
        message.extraHeaders = [("Subject", "again")]
        #expect(throws: SMTPError.self) { try message.validate() }
        message.extraHeaders = []
        message.subject = "Hello\r\nBcc: victim@example.org"
        #expect(throws: SMTPError.self) { try message.validate() }
        message.messageID = "<id@agora>"
        #expect(throws: SMTPError.self) { try message.validate() }
        message.extraHeaders = [("X-Note", "ok\r\nBcc: victim@example.org")]
        let lines = headerLines(message.rendered())
        #expect(!lines.contains { $0.lowercased().hasPrefix("bcc:") }, "\(lines)")
        message.to = []
        #expect(throws: SMTPError.self) { try message.validate() }
    }

    @Test("DATA payload: leading dots doubled, line ends normalised, one final CRLF before the dot")
    func dotStuffing() {
        func payload(_ text: String) -> String { String(decoding: SMTPData.payload(Array(text.utf8)), as: UTF8.self) }
        #expect(payload(".\r\n..x\r\n.hidden\r\nend\r\n") == "..\r\n...x\r\n..hidden\r\nend\r\n.\r\n")
        #expect(payload("a\nb\r.c") == "a\r\nb\r\n..c\r\n.\r\n")
        #expect(payload("no final break") == "no final break\r\n.\r\n")
        #expect(payload("") == "\r\n.\r\n")
        #expect(payload("mid.dle\r\n\r\n.") == "mid.dle\r\n\r\n..\r\n.\r\n")
    }
}
