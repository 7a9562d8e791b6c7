import Foundation
import SMTPClient
import TestSupport
import Synchronization
import Testing

/// The repository root, found from this file's path (Tests/SMTPClientTests/Support.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The Python that runs the test server and parses messages: `AGORA_PYTHON` (one with aiosmtpd),
/// else `python3` from the PATH.
let python = ProcessInfo.processInfo.environment["AGORA_PYTHON"] ?? "python3"

/// A fresh directory under the system's temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a program to its end without blocking a thread, returning its exit status and output.
/// A program still running after `limit` is killed.
func run(_ program: String, _ arguments: [String], limit: Duration = .seconds(60)) async throws -> (status: Int32, stdout: Data, stderr: String) {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("stdout")
    let err = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do {
            try launch(process)
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let seconds = Double(limit.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
            if process.isRunning { process.terminate() }
        }
    }
    return (process.terminationStatus, try Data(contentsOf: out), String(decoding: try Data(contentsOf: err), as: UTF8.self))
}

/// A throwaway self-signed certificate for localhost and 127.0.0.1, made once per test run.
struct TestCertificate: Sendable {
    var certificate: String
    var key: String

    static func make() async throws -> TestCertificate {
        let directory = try makeTemporaryDirectory()
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let result = try await run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
            "-keyout", key, "-out", certificate,
        ])
        guard result.status == 0 else { throw ProcessFailure(description: "openssl failed: \(result.stderr)") }
        return TestCertificate(certificate: certificate, key: key)
    }
}

/// What the test server wrote beside each message.
struct Sidecar: Decodable, Sendable {
    var mail_from: String
    var rcpt_tos: [String]
    var mail_options: [String]
    var tls: Bool
    var auth_user: String?
    var connection: Int
    var connections: Int
    var message_on_connection: Int
}

/// A running `scripts/smtp-test-server.py` on 127.0.0.1.
final class TestSMTPServer {
    let port: Int
    let maildir: URL
    private let directory: URL
    private let process: Process
    private let stdin: FileHandle

    /// Starts the server with the given flags and waits (with a deadline) for it to print its port.
    init(_ flags: [String]) async throws {
        let directory = try makeTemporaryDirectory()
        self.directory = directory
        maildir = directory.appendingPathComponent("mail")
        let process = Process()
        let output = Pipe()
        let input = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, repositoryRoot.appendingPathComponent("scripts/smtp-test-server.py").path,
            "--port", "0", "--maildir", maildir.path, "--lifetime", "120"] + flags
        process.standardOutput = output
        process.standardInput = input
        process.standardError = try FileHandle(forWritingTo: {
            let url = directory.appendingPathComponent("server.log")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            return url
        }())
        try launch(process)
        self.process = process
        self.stdin = input.fileHandleForWriting
        let line = await Self.firstLine(of: output.fileHandleForReading, process: process, limit: .seconds(30))
        guard let line, let port = Int(line) else {
            process.terminate()
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw ProcessFailure(description: "test SMTP server did not print its port (is aiosmtpd installed for \(python)?): \(log)")
        }
        self.port = port
    }

    /// Reads one line on a thread of its own (a blocking read has no place on the cooperative pool);
    /// kills the process if no line comes in time, which ends the read with EOF.
    private static func firstLine(of handle: FileHandle, process: Process, limit: Duration) async -> String? {
        let done = Flag()
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
                    bytes.append(byte)
                }
                done.set()
                continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + Double(limit.components.seconds)) {
                if !done.isSet && process.isRunning { process.terminate() }
            }
        }
    }

    /// Stops the server (closing its stdin asks it to; terminate makes sure) and removes its files.
    func stop() {
        try? stdin.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The messages received, in order: the raw message and its sidecar.
    func messages() throws -> [(eml: URL, sidecar: Sidecar)] {
        var result: [(URL, Sidecar)] = []
        var number = 1
        while true {
            let eml = maildir.appendingPathComponent("\(number).eml")
            let json = maildir.appendingPathComponent("\(number).json")
            guard FileManager.default.fileExists(atPath: json.path) else { break }
            result.append((eml, try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: json))))
            number += 1
        }
        return result
    }

    /// The command verbs received, as "<connection> <VERB>".
    func commands() throws -> [String] {
        let log = maildir.appendingPathComponent("commands.log")
        guard FileManager.default.fileExists(atPath: log.path) else { return [] }
        return try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// An `smtp://` URL for this server with the given query.
    func url(userInfo: String? = nil, query: String) -> String {
        "smtp://\(userInfo.map { $0 + "@" } ?? "")127.0.0.1:\(port)?\(query)"
    }
}

/// A message as Python's email package (policy.default) reads it. Part contents have CRLF turned
/// into LF: quoted-printable decoding does that itself, base64 keeps the canonical CRLF of RFC 2046.
struct ParsedMessage: Decodable, Sendable {
    struct Address: Decodable, Sendable {
        var name: String
        var address: String
    }
    struct Part: Decodable, Sendable {
        var type: String
        var charset: String?
        var encoding: String?
        var content: String
    }
    var subject: String
    var messageID: String
    var timestamp: Double
    var from: Address
    var to: [Address]
    var contentType: String
    var headers: [[String]]
    var parts: [Part]
    var defects: [String]

    func header(_ name: String) -> String? {
        headers.first { $0[0].lowercased() == name.lowercased() }?[1]
    }
}

private let parserScript = #"""
import email, email.policy, email.utils, json, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
def address(a):
    return {"name": a.display_name, "address": a.addr_spec}
parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
defects = [repr(d) for d in msg.defects] + [repr(d) for p in parts for d in p.defects]
for name, value in msg.items():
    defects += [repr(d) for d in getattr(value, "defects", ())]
print(json.dumps({
    "subject": str(msg["Subject"]),
    "messageID": str(msg["Message-ID"]),
    "timestamp": email.utils.parsedate_to_datetime(str(msg["Date"])).timestamp(),
    "from": address(msg["From"].addresses[0]),
    "to": [address(a) for a in msg["To"].addresses],
    "contentType": msg.get_content_type(),
    "headers": [[k, str(v)] for k, v in msg.items()],
    "parts": [{"type": p.get_content_type(), "charset": p.get_content_charset(),
               "encoding": p["Content-Transfer-Encoding"], "content": p.get_content().replace("\r\n", "\n")} for p in parts],
    "defects": defects,
}))
"""#

/// Parses a message file with Python's email package.
func parseWithPython(_ file: URL) async throws -> ParsedMessage {
    let result = try await run(python, ["-c", parserScript, file.path])
    guard result.status == 0 else { throw ProcessFailure(description: "python email parse failed: \(result.stderr)") }
    return try JSONDecoder().decode(ParsedMessage.self, from: result.stdout)
}

/// Parses rendered bytes with Python's email package.
func parseWithPython(_ bytes: [UInt8]) async throws -> ParsedMessage {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("message.eml")
    try Data(bytes).write(to: file)
    return try await parseWithPython(file)
}

/// Waits for `condition` with a deadline, polling briefly, for events with no notification.
func waitUntil(_ limit: Duration = .seconds(10), _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// The lines of a rendered message, split on CRLF (the last, empty piece after the final CRLF dropped).
func crlfLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    var index = 0
    while index + 1 < bytes.count {
        if bytes[index] == 0x0D && bytes[index + 1] == 0x0A {
            lines.append(bytes[start..<index])
            index += 2
            start = index
        } else {
            index += 1
        }
    }
    if start < bytes.count { lines.append(bytes[start...]) }
    return lines
}

/// A typical notice: non-ASCII subject and names, text and HTML, list headers.
func sampleMessage(text: String = "Bonjour,\nvotre intervention est confirmée.\n", html: String? = "<p>Bonjour,</p>\n<p>votre intervention est <b>confirmée</b>.</p>\n") throws -> MailMessage {
    MailMessage(
        from: try MailAddress("notices@agora.example", name: "Forum de Genève — Secrétariat"),
        to: [try MailAddress("alice@example.org", name: "Alice Müller"), try MailAddress("bob@example.org")],
        subject: "Rappel : votre intervention à Genève — séance plénière du forum sur l’eau potable et l’assainissement",
        messageID: MailMessage.makeMessageID(domain: "agora.example"),
        date: Date(timeIntervalSince1970: 1_780_000_000),
        extraHeaders: [
            ("List-Unsubscribe", "<https://agora.example/notices/unsubscribe?token=0123456789abcdef0123456789abcdef>, <mailto:unsubscribe@agora.example?subject=unsubscribe>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Auto-Submitted", "auto-generated"),
        ],
        text: text,
        html: html
    )
}

/// A flag set once, read from any thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
