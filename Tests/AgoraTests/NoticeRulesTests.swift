import Agora
import Foundation
import Testing

@Suite("Notice delivery rules")
struct NoticeRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func backoffDoublesWithEqualJitterAndStopsAtTheCap() {
        let policy = RetryPolicy(maxAttempts: 8, base: 30, cap: 600)
        // Half the step for sure, the other half random.
        #expect(policy.delay(after: 1, random: 0) == 15)
        #expect(policy.delay(after: 1, random: 1) == 30)
        #expect(policy.delay(after: 2, random: 0.5) == 45)
        #expect(policy.delay(after: 3, random: 0) == 60)
        #expect(policy.delay(after: 10, random: 1) == 600)
        #expect(policy.delay(after: 10, random: 0) == 300)
    }

    @Test func aTransientFailureIsRetriedUntilTheLastAttemptThenParked() {
        let policy = RetryPolicy(maxAttempts: 3, base: 30, cap: 600)
        #expect(policy.decide(attempt: 1, outcome: .transient("503"), now: now, random: 0) == .retry(at: now.addingTimeInterval(15), error: "503"))
        #expect(policy.decide(attempt: 2, outcome: .transient("503"), now: now, random: 1) == .retry(at: now.addingTimeInterval(60), error: "503"))
        guard case .dead(let error) = policy.decide(attempt: 3, outcome: .transient("503"), now: now, random: 0) else {
            Issue.record("the last attempt must park the notice")
            return
        }
        #expect(error.contains("3 attempts") && error.contains("503"))
    }

    @Test func retryAfterIsHonouredUpToTheCap() {
        let policy = RetryPolicy(maxAttempts: 5, base: 30, cap: 600)
        #expect(policy.decide(attempt: 1, outcome: .transient("429", retryAfter: 120), now: now, random: 0.9) == .retry(at: now.addingTimeInterval(120), error: "429"))
        #expect(policy.decide(attempt: 1, outcome: .transient("429", retryAfter: 99_999), now: now, random: 0) == .retry(at: now.addingTimeInterval(600), error: "429"))
    }

    @Test func otherOutcomesAreFinal() {
        let policy = RetryPolicy.standard
        #expect(policy.decide(attempt: 1, outcome: .delivered, now: now, random: 0) == .done)
        #expect(policy.decide(attempt: 1, outcome: .permanent("550"), now: now, random: 0) == .dead(error: "550"))
        #expect(policy.decide(attempt: 1, outcome: .gone("410"), now: now, random: 0) == .subscriptionGone(error: "410"))
        #expect(policy.decide(attempt: 1, outcome: .irrelevant("answered"), now: now, random: 0) == .cancelled(reason: "answered"))
    }

    @Test func onlyTheNearestNominationReminderIsDue() {
        let deadline = now
        #expect(NoticeTiming.nominationReminder(deadline: deadline, now: deadline.addingTimeInterval(-4 * 86400)) == nil)
        #expect(NoticeTiming.nominationReminder(deadline: deadline, now: deadline.addingTimeInterval(-3 * 86400)) == "3d")
        #expect(NoticeTiming.nominationReminder(deadline: deadline, now: deadline.addingTimeInterval(-2 * 86400)) == "3d")
        // A first look within the last day sends the one-day reminder only.
        #expect(NoticeTiming.nominationReminder(deadline: deadline, now: deadline.addingTimeInterval(-3600)) == "1d")
        #expect(NoticeTiming.nominationReminder(deadline: deadline, now: deadline) == nil)
    }
}

@Suite("Webhook addresses")
struct WebhookAddressTests {
    @Test func specialAddressesAreRefusedAndPublicOnesAllowed() throws {
        let policy = WebhookAddressPolicy.strict
        for special in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
                        "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "2001:db8::1"] {
            #expect(throws: WebhookAddressError.self, "\(special)") { try policy.check(host: "h", addresses: [IPAddress(special)!]) }
        }
        try policy.check(host: "example.org", addresses: [IPAddress("93.184.216.34")!, IPAddress("2606:2800:220:1:248:1893:25c8:1946")!])
        // One special address among public ones is enough to refuse (a name can resolve to both).
        #expect(throws: WebhookAddressError.self) { try policy.check(host: "h", addresses: [IPAddress("93.184.216.34")!, IPAddress("10.0.0.1")!]) }
        #expect(throws: WebhookAddressError.unresolvable("nowhere")) { try policy.check(host: "nowhere", addresses: []) }
    }

    @Test func theOperatorAllowListOpensBlocksAndHosts() throws {
        let policy = try WebhookAddressPolicy(allowList: "127.0.0.0/8, ::1, receiver.internal")
        try policy.check(host: "localhost", addresses: [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        try policy.check(host: "Receiver.Internal", addresses: [IPAddress("10.9.9.9")!])
        #expect(throws: WebhookAddressError.self) { try policy.check(host: "h", addresses: [IPAddress("10.0.0.1")!]) }
        #expect(throws: WebhookAddressError.unreadableAllowList("10.0.0.0/99")) { try WebhookAddressPolicy(allowList: "10.0.0.0/99") }
    }

    @Test func urlsMustBeHTTPWithAHostAndNoCredentials() throws {
        #expect(try WebhookAddressPolicy.parse("https://hooks.example.org/agora").port == 443)
        #expect(try WebhookAddressPolicy.parse("http://[::1]:8080/x").host == "::1")
        #expect(throws: WebhookAddressError.notHTTP) { try WebhookAddressPolicy.parse("ftp://example.org/") }
        #expect(throws: WebhookAddressError.notHTTP) { try WebhookAddressPolicy.parse("file:///etc/passwd") }
        #expect(throws: WebhookAddressError.credentialsInURL) { try WebhookAddressPolicy.parse("https://user:pw@example.org/") }
    }

    @Test func cidrBlocksContainWhatTheySay() {
        let block = IPBlock("172.16.0.0/12")!
        #expect(block.contains(IPAddress("172.31.255.255")!))
        #expect(!block.contains(IPAddress("172.32.0.0")!))
        #expect(!block.contains(IPAddress("::1")!))
        #expect(IPBlock("fe80::/10")!.contains(IPAddress("febf::1")!))
        #expect(!IPBlock("fe80::/10")!.contains(IPAddress("fec0::1")!))
        #expect(IPBlock("300.1.1.1/8") == nil)
    }
}

@Suite("ISO instants")
struct ISOInstantTests {
    @Test func writesWhatTheFormatterWrites() {
        for seconds in [0.0, 1_800_000_000, 1_800_000_000.9, 951_782_400, 4_102_444_799, -1] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(ISOInstant.string(date) == ISO8601DateFormatter().string(from: date), "\(seconds)")
        }
    }
}
