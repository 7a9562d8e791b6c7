import Agora
import AsyncHTTPClient
import Foundation
import NIOCore

/// The repository's root, for the scripts the tests start.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The Python with the notice peers' packages (`scripts/test-tools.sh` exports `AGORA_PYTHON`).
public var testPython: String { ProcessInfo.processInfo.environment["AGORA_PYTHON"] ?? "/usr/bin/python3" }

/// A peer process on loopback started from `scripts/`: it prints its port as its first line and
/// stops when its standard input closes (so it dies with the test process too).
public final class PeerProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe

    private init(port: Int, process: Process, input: Pipe) {
        self.port = port
        self.process = process
        self.input = input
    }

    /// Starts `scripts/<script>` with `arguments` and waits (with a deadline) for its port.
    public static func start(_ script: String, _ arguments: [String], timeout: Duration = .seconds(20)) async throws -> PeerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: testPython)
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/\(script)").path] + arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try launch(process)
        let reader = output.fileHandleForReading
        let line = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var bytes: [UInt8] = []
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { return nil }
                    bytes.append(contentsOf: chunk)
                    if let newline = bytes.firstIndex(of: 10) { return String(decoding: bytes[..<newline], as: UTF8.self) }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimeoutError(description: "timed out waiting for \(script) to print its port")
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        guard let line, let port = Int(line.trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw TimeoutError(description: "\(script) did not print a port (printed \(line ?? "nothing"))")
        }
        return PeerProcess(port: port, process: process, input: input)
    }

    /// Stops the peer and waits for it.
    public func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// The webhook receiver (`scripts/webhook-receiver.py`): verifies every delivery with the
/// `standardwebhooks` reference library and records it.
public struct WebhookReceiver: Sendable {
    public let peer: PeerProcess
    public var base: String { "http://127.0.0.1:\(peer.port)" }

    /// One delivery as the receiver saw it.
    public struct Delivery: Decodable, Sendable {
        public let path: String
        public let id: String
        public let type: String?
        public let verified: Bool
        public let accepted: Bool
        public let duplicate: Bool
        public let status: Int
        public let data: [String: JSONValue]?
    }

    public static func start() async throws -> WebhookReceiver {
        WebhookReceiver(peer: try await PeerProcess.start("webhook-receiver.py", []))
    }

    /// Makes `path` answer deliveries signed with `secret` as `behaviour` says (`ok`,
    /// `status:503:2`, `fail-first:2`, `slow:3`).
    public func register(path: String, secret: String, behaviour: String = "ok") async throws {
        var request = HTTPClientRequest(url: base + "/_register")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: ["path": path, "secret": secret, "behaviour": behaviour]))))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status.code == 204 else { throw TimeoutError(description: "the receiver refused the registration: \(response.status)") }
    }

    /// Every delivery so far, in arrival order.
    public func received() async throws -> [Delivery] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/_received"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return try JSONDecoder().decode([Delivery].self, from: Data(body.readableBytesView))
    }

    public func stop() { peer.stop() }
}

extension JSONValue {
    /// The text of a string value, for reading what peers recorded.
    public var string: String? { if case .string(let value) = self { value } else { nil } }
}

/// The SMTP server (`scripts/smtp-test-server.py`, aiosmtpd) writing what it receives to a folder.
public struct SMTPSink: Sendable {
    public let peer: PeerProcess
    public let maildir: URL
    public var url: String { "smtp://127.0.0.1:\(peer.port)?starttls=never" }

    /// An e-mail as Python's `email` package reads it (not as our writer meant it).
    public struct Mail: Decodable, Sendable {
        public let subject: String
        public let to: String
        public let from: String
        public let messageID: String
        public let listUnsubscribe: String?
        public let listUnsubscribePost: String?
        public let contentLanguage: String?
        public let text: String
        public let html: String?
    }

    public static func start(_ extra: [String] = []) async throws -> SMTPSink {
        let maildir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-mail-\(UUID())")
        try FileManager.default.createDirectory(at: maildir, withIntermediateDirectories: true)
        return SMTPSink(peer: try await PeerProcess.start("smtp-test-server.py", ["--maildir", maildir.path, "--lifetime", "3600"] + extra), maildir: maildir)
    }

    /// How many messages arrived.
    public func count() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: maildir.path)) ?? []).filter { $0.hasSuffix(".json") }.count
    }

    /// Every message received, in order, as the sink decoded it with Python's `email` package
    /// when it arrived (`<n>.decoded`): reading files starts no process while tests run.
    public func mails() throws -> [Mail] {
        let names = try FileManager.default.contentsOfDirectory(atPath: maildir.path).filter { $0.hasSuffix(".decoded") }
        let numbered = names.compactMap { name in Int(name.split(separator: ".")[0]).map { ($0, name) } }.sorted { $0.0 < $1.0 }
        return try numbered.map { try JSONDecoder().decode(Mail.self, from: Data(contentsOf: maildir.appendingPathComponent($0.1))) }
    }

    public func stop() {
        peer.stop()
        try? FileManager.default.removeItem(at: maildir)
    }
}

/// Starts `process`, one launch at a time in the whole test process: Foundation's
/// `Process.run()` on Linux is not safe when several threads launch at once (CI crashed inside
/// it, copying memory, while suites started their peers in parallel).
public func launch(_ process: Process) throws {
    try launchLock.withLock {
        // Foundation reads `environ` at each launch when no environment is set; a copy made
        // once keeps that read out of the way of anything else in the process.
        if process.environment == nil { process.environment = launchEnvironment }
        try process.run()
    }
}

private let launchEnvironment = ProcessInfo.processInfo.environment

private let launchLock = NSLock()
