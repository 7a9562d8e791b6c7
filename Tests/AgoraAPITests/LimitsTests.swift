import Agora
@testable import AgoraAPI
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

/// What one caller or one connection may take of the server: rate limits (429 with
/// `Retry-After`), header sizes and counts, and the idle and slow-client timeouts.
@Suite("Limits")
struct LimitsTests {
    // MARK: Rate limits

    @Test func theLimiterLetsABurstThroughThenOneRequestPerInterval() {
        let limiter = RateLimiter()
        let limit = RateLimit(perSecond: 2, burst: 3)
        for _ in 0..<3 { #expect(limiter.take("a", limit: limit, at: 10) == nil) }
        let wait = limiter.take("a", limit: limit, at: 10)
        #expect(wait.map { abs($0 - 0.5) < 1e-9 } == true)
        #expect(limiter.take("b", limit: limit, at: 10) == nil, "another caller has a bucket of its own")
        #expect(limiter.take("a", limit: limit, at: 10.5) == nil, "one interval later, one more")
        #expect(limiter.take("a", limit: limit, at: 10.5) != nil)
        #expect(limiter.take("a", limit: limit, at: 12) == nil, "a quiet spell refills the bucket")
    }

    @Test func theLimiterForgetsIdleCallersAndStaysBounded() {
        let limiter = RateLimiter(capacity: 100)
        let limit = RateLimit(perSecond: 1, burst: 1)
        for index in 0..<1000 { _ = limiter.take("caller \(index)", limit: limit, at: Double(index)) }
        #expect(limiter.count <= 100)
    }

    @Test func rateLimitSettingsAreRead() {
        #expect(RateLimit.parse("20") == .some(RateLimit(perSecond: 20, burst: 200)))
        #expect(RateLimit.parse("5/7") == .some(RateLimit(perSecond: 5, burst: 7)))
        #expect(RateLimit.parse("0") == .some(nil))
        #expect(RateLimit.parse("fast") == nil)
        #expect(RateLimit.parse("5/0") == nil)
        #expect(RateLimit.parse("-1") == nil)
        // Beyond what the arithmetic of waits and bursts can hold: refused when read, not a trap later.
        #expect(RateLimit.parse("1e18") == nil)
        #expect(RateLimit.parse("1e-300") == nil)
        #expect(RateLimit.parse("5/99999999999") == nil)
        #expect(RateLimited(waiting: 1e300, who: "x").retryAfter == 86_400)
        #expect(RateLimited(waiting: .infinity, who: "x").retryAfter == 86_400)
        #expect(RateLimited(waiting: 0.2, who: "x").retryAfter == 1)
    }

    /// A sweep forgets only callers whose buckets are full again: one still being held back
    /// stays held back.
    @Test func aSweepKeepsCallersThatAreStillHeldBack() {
        let limiter = RateLimiter(capacity: 10)
        let limit = RateLimit(perSecond: 1, burst: 1)
        #expect(limiter.take("busy", limit: limit, at: 0) == nil)
        #expect(limiter.take("busy", limit: limit, at: 0) != nil)
        // Nine callers of long ago fill the limiter; the next look sweeps them out.
        for index in 0..<9 { _ = limiter.take("idle \(index)", limit: limit, at: -100) }
        #expect(limiter.take("newcomer", limit: limit, at: 0.1) == nil)
        #expect(limiter.count <= 3)
        #expect(limiter.take("busy", limit: limit, at: 0.2) != nil, "the busy caller was not forgotten")
    }

    @Test func anonymousCallersAreLimitedPerAddressWithRetryAfter() async throws {
        let configuration = AppConfiguration(port: 0, anonymousRateLimit: RateLimit(perSecond: 0.001, burst: 5))
        try await withApp(configuration: configuration) { client, pool, _ in
            for _ in 0..<5 {
                try await client.execute(uri: "/organisations", method: .get) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/organisations", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.contentType] == "application/problem+json")
                // The bucket refills one request in 1,000 s, whatever the machine's load.
                #expect(response.headers[.retryAfter].flatMap(Int.init).map { (990...1000).contains($0) } == true)
                let body = try problem(response.body)
                #expect(body.type == "/problems/rate-limited")
                #expect(body.status == 429)
            }
            // A valid token is not held back by the address's anonymous reading.
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            for _ in 0..<10 {
                try await client.execute(uri: "/organisations", method: .get, headers: secretariat.authorization) { #expect($0.status == .ok) }
            }
        }
    }

    @Test func guessedTokensCountAgainstTheAddress() async throws {
        let configuration = AppConfiguration(port: 0, anonymousRateLimit: RateLimit(perSecond: 0.001, burst: 3))
        try await withApp(configuration: configuration) { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            for _ in 0..<3 {
                let guess: HTTPFields = [.authorization: "Bearer " + TokenSecret.generate()]
                try await client.execute(uri: "/organisations", method: .get, headers: guess) { #expect($0.status == .unauthorized) }
            }
            let guess: HTTPFields = [.authorization: "Bearer " + TokenSecret.generate()]
            try await client.execute(uri: "/organisations", method: .get, headers: guess) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
            }
            // The refusal is of the address's guesses: anonymous reading has a bucket of its own.
            try await client.execute(uri: "/organisations", method: .get) { #expect($0.status == .ok) }
            _ = secretariat
        }
    }

    @Test func anAccountLimitCountsAllItsTokensTogether() async throws {
        let configuration = AppConfiguration(port: 0, anonymousRateLimit: nil, accountRateLimit: RateLimit(perSecond: 0.001, burst: 4))
        try await withApp(configuration: configuration) { client, pool, _ in
            let first = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let issued = try await AccessStore(pool: pool).issueToken(account: first.id, name: "second", by: .commandLine)
            let secondToken: HTTPFields = [.authorization: "Bearer " + issued.secret]
            let other = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            for headers in [first.authorization, secondToken, first.authorization, secondToken] {
                try await client.execute(uri: "/accounts/me", method: .get, headers: headers) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/accounts/me", method: .get, headers: secondToken) { response in
                #expect(response.status == .tooManyRequests)
                let body = try problem(response.body)
                #expect(body.type == "/problems/rate-limited")
            }
            try await client.execute(uri: "/accounts/me", method: .get, headers: other.authorization) { #expect($0.status == .ok) }
            // Anonymous callers are not limited when the anonymous limit is off.
            for _ in 0..<20 {
                try await client.execute(uri: "/organisations", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() throws {
        let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 4000)
        let stranger = try SocketAddress(ipAddress: "203.0.113.9", port: 4000)
        let proxies = try TrustedProxies(list: "127.0.0.1, 10.0.0.0/8")
        // Through the proxy: the right-most address the proxy did not add itself.
        #expect(proxies.client(peer: loopback, forwardedFor: ["198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.client(peer: loopback, forwardedFor: ["1.2.3.4, 198.51.100.7, 10.1.2.3"]) == "198.51.100.7",
                "a client's own X-Forwarded-For entries on the left are not believed")
        // From anyone else, the header is ignored: a client cannot pick its own bucket.
        #expect(proxies.client(peer: stranger, forwardedFor: ["198.51.100.7"]) == "203.0.113.9")
        #expect(TrustedProxies.none.client(peer: loopback, forwardedFor: ["198.51.100.7"]) == "127.0.0.1")
        // IPv6 clients count by their /64.
        let v6a = try SocketAddress(ipAddress: "2001:db8:1:2::10", port: 1)
        let v6b = try SocketAddress(ipAddress: "2001:db8:1:2:ffff::1", port: 1)
        #expect(TrustedProxies.none.client(peer: v6a, forwardedFor: []) == TrustedProxies.none.client(peer: v6b, forwardedFor: []))
        // A hop that is not an address stops the walk: what lies left of it is the client's own writing.
        #expect(proxies.client(peer: loopback, forwardedFor: ["198.51.100.7, not-an-address, 10.1.2.3"]) == "10.1.2.3")
        #expect(proxies.client(peer: loopback, forwardedFor: ["unknown, 198.51.100.7"]) == "198.51.100.7")
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: the IPv4 address, trusted and counted as such.
        let mappedProxy = try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 4000)
        #expect(proxies.client(peer: mappedProxy, forwardedFor: ["198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.trusts(peer: mappedProxy))
        let mappedA = try SocketAddress(ipAddress: "::ffff:203.0.113.1", port: 1)
        let mappedB = try SocketAddress(ipAddress: "::ffff:203.0.113.2", port: 1)
        #expect(TrustedProxies.none.client(peer: mappedA, forwardedFor: []) == "203.0.113.1")
        #expect(TrustedProxies.none.client(peer: mappedB, forwardedFor: []) == "203.0.113.2")
        // A mapped entry is its IPv4 network, its prefix counted past the 96 bits of the mapping.
        let mappedList = try TrustedProxies(list: "::ffff:10.0.0.0/104")
        #expect(mappedList.trusts(peer: try SocketAddress(ipAddress: "10.9.8.7", port: 1)))
        #expect(!mappedList.trusts(peer: try SocketAddress(ipAddress: "11.0.0.1", port: 1)))
        #expect(throws: ConfigurationError.self) { try TrustedProxies(list: "::ffff:10.0.0.0/64") }
        #expect(throws: ConfigurationError.self) { try TrustedProxies(list: "localhost") }
        #expect(throws: ConfigurationError.self) { try TrustedProxies(list: "10.0.0.0/33") }
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnBucketAndRequestID() async throws {
        let configuration = AppConfiguration(port: 0, anonymousRateLimit: RateLimit(perSecond: 0.001, burst: 2),
                                             trustedProxies: try TrustedProxies(list: "127.0.0.1"))
        try await withApp(configuration: configuration) { client, _, _ in
            let first: HTTPFields = [.forwardedFor: "198.51.100.7", .requestID: "lb-0001"]
            let second: HTTPFields = [.forwardedFor: "198.51.100.8"]
            for _ in 0..<2 {
                try await client.execute(uri: "/organisations", method: .get, headers: first) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.requestID] == "lb-0001", "the proxy's request id is kept")
                }
            }
            // An error answer carries the proxy's id too, in its header and its problem's instance.
            try await client.execute(uri: "/organisations", method: .get, headers: first) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.requestID] == "lb-0001")
                #expect(String(buffer: response.body).contains("urn:agora:request:lb-0001"))
            }
            try await client.execute(uri: "/organisations", method: .get, headers: second) { #expect($0.status == .ok) }
            // An id that could forge log lines is not taken.
            try await client.execute(uri: "/organisations", method: .get, headers: [.forwardedFor: "198.51.100.9", .requestID: "a b"]) { response in
                #expect(response.headers[.requestID] != "a b")
            }
        }
    }

    // MARK: Connections

    @Test func headersBeyondTheLimitsAreRefusedAndTheConnectionClosed() async throws {
        let limits = ConnectionLimits(maximumHeaderFieldSize: 4096, maximumHeaderListSize: 8192, maximumHeaderCount: 20)
        try await withApp(configuration: AppConfiguration(port: 0, connectionLimits: limits)) { client, _, _ in
            let port = try #require(client.port)
            var many = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
            for index in 0..<30 { many += "X-Filler-\(index): \(index)\r\n" }
            let tooMany = try RawConnection(port: port)
            try tooMany.send(many + "\r\n")
            let tooManyAnswer = try await tooMany.readUntilClosed()
            #expect(tooManyAnswer.hasPrefix("HTTP/1.1 400"))

            let tooLarge = try RawConnection(port: port)
            try tooLarge.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Large: \(String(repeating: "a", count: 5000))\r\n\r\n")
            let tooLargeAnswer = try await tooLarge.readUntilClosed()
            #expect(tooLargeAnswer.hasPrefix("HTTP/1.1 400"))

            let fine = try RawConnection(port: port)
            try fine.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Small: \(String(repeating: "a", count: 3000))\r\nConnection: close\r\n\r\n")
            let fineAnswer = try await fine.readUntilClosed()
            #expect(fineAnswer.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func anIdleConnectionAndASlowHeaderAreClosed() async throws {
        let limits = ConnectionLimits(idleTimeout: .milliseconds(500), requestReadTimeout: .seconds(30))
        try await withApp(configuration: AppConfiguration(port: 0, connectionLimits: limits)) { client, _, _ in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            // A keep-alive connection after its answer, then nothing.
            let idle = try RawConnection(port: port)
            try idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = try await idle.readUntilClosed(deadline: .seconds(10))
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(idle.closedByServer)

            // Slow loris: a header line every 200 ms, never the blank line that ends them.
            let loris = try RawConnection(port: port)
            try loris.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            var sent = 0
            while sent < 50, loris.isOpen() {
                try? loris.send("X-Slow-\(sent): 1\r\n")
                sent += 1
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(sent < 20, "the server closed the connection after about 0.5 s, not after \(sent) lines")
            #expect(ContinuousClock.now - start < .seconds(12))
        }
    }

    @Test func aBodyTrickledByteByByteLosesItsConnection() async throws {
        let limits = ConnectionLimits(idleTimeout: .seconds(30), requestReadTimeout: .milliseconds(600))
        try await withApp(configuration: AppConfiguration(port: 0, connectionLimits: limits)) { client, pool, _ in
            let secretariat = try await TestAccount.make(pool, grants: [RoleGrant(.secretariat)])
            let port = try #require(client.port)
            let body = #"{"name":"Slow","country":"KE","constituency":"ngo"}"#
            let slow = try RawConnection(port: port)
            try slow.send("POST /organisations HTTP/1.1\r\nHost: x\r\nAuthorization: \(secretariat.authorization[.authorization]!)\r\n"
                          + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            var sent = 0
            for byte in body.utf8 {
                guard slow.isOpen() else { break }
                try? slow.send(String(UnicodeScalar(byte)))
                sent += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sent < body.utf8.count, "the connection was closed before the body was complete")
            let stored = try await pool.query("SELECT count(*) AS n FROM organisation WHERE name = 'Slow'")
            let count = try stored.first?.decode("n", as: Int.self)
            #expect(count == 0, "nothing half-sent was stored")

            // The same body sent at once is accepted.
            let quick = try RawConnection(port: port)
            try quick.send("POST /organisations HTTP/1.1\r\nHost: x\r\nAuthorization: \(secretariat.authorization[.authorization]!)\r\n"
                           + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
            let quickAnswer = try await quick.readUntilClosed()
            #expect(quickAnswer.hasPrefix("HTTP/1.1 201"))
        }
    }
}
