import Agora
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Signs webhook deliveries as Standard Webhooks v1 specifies: HMAC-SHA256, keyed with the
/// base64 part of the `whsec_` secret, over `id.timestamp.body`, sent as `v1,<base64>`.
public enum WebhookSignature {
    /// The `webhook-signature` header value; nil when the secret is not a `whsec_` base64 key.
    public static func sign(id: String, timestamp: Int, body: [UInt8], secret: String) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))), !key.isEmpty else { return nil }
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// Delivers notices to webhook subscriptions over HTTP(S), with async-http-client.
///
/// - 2xx is delivered; 410 Gone ends the subscription; 429 and 503 are tried again after the
///   receiver's `Retry-After`; other 5xx, timeouts and connection failures are tried again with
///   backoff; other answers are permanent failures.
/// - The host is resolved and checked against ``WebhookAddressPolicy`` before every send, not
///   only when subscribing, since what a name resolves to can change; the request then goes to
///   the address that was checked (``PinnedClients``), so a name that resolves to a public
///   address for the check and to a private one for the connection (DNS rebinding) gains nothing.
public struct WebhookChannel: Sendable {
    let clients: PinnedClients
    let policy: WebhookAddressPolicy
    let timeout: TimeAmount

    /// A channel sending with clients made from `configuration` (redirects are never followed),
    /// within `timeout` per request.
    public init(configuration: HTTPClient.Configuration = HTTPClient.Configuration(), policy: WebhookAddressPolicy, timeout: Duration = .seconds(15),
                concurrentConnections: Int = 32) {
        var configuration = configuration
        // A redirect could lead to an address the policy refuses; receivers answer where they are.
        configuration.redirectConfiguration = .disallow
        // A burst for one receiver goes out over as many connections as sends are in flight.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, concurrentConnections)
        self.clients = PinnedClients(configuration: configuration)
        self.policy = policy
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
    }

    /// Shuts every client down.
    public func shutdown() async {
        await clients.shutdown()
    }

    /// The body a webhook receives: `type`, `timestamp` and `data` (Standard Webhooks' shape).
    static func body(kind: String, at date: Date, data: [String: JSONValue]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let iso = ISOInstant.string(date)
        return Array(try encoder.encode(JSONValue.object(["type": .string(kind), "timestamp": .string(iso), "data": .object(data)])))
    }

    /// Sends one notice; never throws: every failure is an outcome. The signature's timestamp is
    /// the wall clock's (receivers check it against theirs), whatever clock the round runs on.
    func send(id: String, kind: String, url: String, secret: String, data: [String: JSONValue]) async -> DeliveryOutcome {
        let now = Date()
        let host: String
        let addresses: [IPAddress]
        do {
            host = try WebhookAddressPolicy.parse(url).host
            addresses = try await HostResolver.resolve(host)
            try policy.check(host: host, addresses: addresses)
        } catch WebhookAddressError.unresolvable(let name) {
            // Resolvers fail for a while too: try again later, as for any network failure.
            return .transient("the webhook's host does not resolve now (\(name))")
        } catch {
            return .permanent("webhook URL refused: \(error)")
        }
        let client: HTTPClient
        do { client = try await clients.client(host: host, pinnedTo: addresses[0]) } catch { return .transient("webhook: \(error)") }
        let timestamp = Int(now.timeIntervalSince1970)
        let body: [UInt8]
        do { body = try Self.body(kind: kind, at: now, data: data) } catch { return .permanent("could not encode the payload: \(error)") }
        guard let signature = WebhookSignature.sign(id: id, timestamp: timestamp, body: body, secret: secret) else {
            return .permanent("the subscription's secret is not a whsec_ key")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Agora-Webhooks/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signature)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // The body is not needed, but it must be read (or dropped) for the connection to be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return Self.outcome(status: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after"), now: now)
        } catch {
            return .transient("webhook: \(error)")
        }
    }

    /// What an HTTP answer means for the notice.
    static func outcome(status: Int, retryAfter: String?, now: Date) -> DeliveryOutcome {
        switch status {
        case 200..<300: return .delivered
        case 410: return .gone("the receiver answered 410 Gone")
        case 429, 503: return .transient("the receiver answered \(status)", retryAfter: retryAfter.flatMap { Self.seconds(retryAfter: $0, now: now) })
        case 408, 500..<600: return .transient("the receiver answered \(status)")
        default: return .permanent("the receiver answered \(status)")
        }
    }

    /// `Retry-After` as seconds from `now`: delta-seconds or an HTTP date (RFC 9110 10.2.3).
    static func seconds(retryAfter value: String, now: Date) -> TimeInterval? {
        let value = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(value), seconds >= 0 { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSince(now)) }
    }
}

/// HTTP clients that connect to the address a webhook's host was checked at, whatever the
/// name resolves to by the time of the connection: async-http-client's `dnsOverride` keeps the
/// name for TLS (SNI and certificate checks) and the `Host` header. One client per host and
/// address, at most `limit` of them (the least recently used is shut down).
public actor PinnedClients {
    private let configuration: HTTPClient.Configuration
    private let limit: Int
    private var clients: [String: (client: HTTPClient, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(configuration: HTTPClient.Configuration, limit: Int = 64) {
        self.configuration = configuration
        self.limit = limit
    }

    func client(host: String, pinnedTo address: IPAddress) async throws -> HTTPClient {
        clock += 1
        let key = host + "|" + address.description
        if let found = clients[key] {
            clients[key] = (found.client, clock)
            return found.client
        }
        if clients.count >= limit, let oldest = clients.min(by: { $0.value.used < $1.value.used }) {
            clients[oldest.key] = nil
            try? await oldest.value.client.shutdown()
        }
        var configuration = configuration
        if IPAddress(host) == nil { configuration.dnsOverride = [host: address.description] }
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        clients[key] = (client, clock)
        return client
    }

    func shutdown() async {
        let all = clients.values.map(\.client)
        clients = [:]
        for client in all { try? await client.shutdown() }
    }
}

extension HostResolver {
    /// ``HostResolver/addresses(of:)`` on NIO's blocking-work pool, never on Swift's
    /// cooperative threads (a slow resolver must not stall other tasks).
    static func resolve(_ host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive { HostResolver.addresses(of: host) }
    }
}
