import Foundation
import Glibc

/// A TCP connection on loopback, for what an HTTP client library will not do:
/// headers beyond the limits, bytes sent slowly.
public final class RawConnection {
    private let socket: Int32
    /// Whether the server ended the connection (end of stream or an error) while reading.
    public private(set) var closedByServer = false

    /// Connects to `port` on 127.0.0.1; throws if nothing listens there.
    public init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Thrown once every property is set, so deinit closes the socket.
        guard connected == 0 else { throw RawConnectionError("cannot connect to port \(port)") }
        var noSignal: Int32 = 1
        _ = setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(socket) }

    /// Sends `text` as it is.
    public func send(_ text: String) throws {
        let sent = text.withCString { Glibc.send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        guard sent >= 0 else { throw RawConnectionError("send failed") }
    }

    /// Whether the server still holds the connection open (nothing to read, no end of stream).
    public func isOpen() -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return true }
        var byte: UInt8 = 0
        let peeked = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked > 0
    }

    /// One answer, headers and a `Content-Length` body, leaving the connection open; throws
    /// if it has not come by `deadline`.
    public func readResponse(deadline: Duration = .seconds(10)) async throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let text = String(decoding: received, as: UTF8.self)
            if let headerEnd = text.range(of: "\r\n\r\n") {
                let length = text[..<headerEnd.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.distance(from: headerEnd.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex) >= length { return text }
            }
            let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += buffer.prefix(count)
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                closedByServer = true
                throw RawConnectionError("the server closed the connection before answering: \(text)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw RawConnectionError("no whole answer within \(deadline)")
    }

    /// Everything the server sends until it closes the connection, or until `deadline`.
    /// It never blocks a thread: the server under test runs its handlers on the same few
    /// threads of the concurrency pool, and a blocking read here could starve it.
    public func readUntilClosed(deadline: Duration = .seconds(10)) async throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                received += buffer.prefix(count)
                continue
            }
            if count == 0 {
                closedByServer = true
                break
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK else {
                closedByServer = true
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return String(decoding: received, as: UTF8.self)
    }
}

public struct RawConnectionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
