@testable import SMTPClient
import Testing

@Suite("SMTP reply parsing") struct ReplyParsingTests {
    private func replies(_ lines: [String]) throws -> [SMTPReply] {
        var assembler = SMTPReplyAssembler()
        return try lines.compactMap { try assembler.add(Array($0.utf8)) }
    }

    @Test("continuation lines gather into one reply; a bare code ends one too")
    func multiLine() throws {
        let parsed = try replies(["250-mail.example.org", "250-STARTTLS", "250-AUTH PLAIN LOGIN", "250 SIZE 1000", "354", "221 bye"])
        #expect(parsed == [
            SMTPReply(code: 250, lines: ["mail.example.org", "STARTTLS", "AUTH PLAIN LOGIN", "SIZE 1000"]),
            SMTPReply(code: 354, lines: [""]),
            SMTPReply(code: 221, lines: ["bye"]),
        ])
    }

    @Test("malformed lines and mixed codes are protocol violations", arguments: [
        ["250-first", "251 second"], ["25"], ["abc text"], ["250x text"], ["650 too high"], ["199 too low"],
    ])
    func malformed(lines: [String]) {
        #expect(performing: { _ = try replies(lines) }, throws: { ($0 as? SMTPError)?.kind == .protocolViolation })
    }

    @Test("a reply of endless continuation lines is refused")
    func endless() {
        let lines = Array(repeating: "250-more", count: SMTPReplyAssembler.maximumLines + 1)
        #expect(performing: { _ = try replies(lines) }, throws: { ($0 as? SMTPError)?.kind == .protocolViolation })
    }
}
