@testable import Agora
import Foundation
import Testing

@Suite("Forum status and venue time (no database)")
struct ForumTests {
    @Test(arguments: ForumKind.allCases)
    func aForumMovesForwardOneStatusAtATime(kind: ForumKind) {
        var status = ForumStatus.draft
        var visited = [status]
        while let next = status.allowedNext(kind: kind).first {
            #expect(next > status)
            status = next
            visited.append(status)
        }
        #expect(status == .concluded)
        // Only round tables (by invitation) skip the nomination statuses.
        #expect(visited.contains(.nominationsOpen) == (kind != .roundTable))
        #expect(ForumStatus.concluded.allowedNext(kind: kind).isEmpty)
    }

    @Test func aDeadlineOnTheNightClocksGoForwardKeepsItsLocalMeaning() throws {
        // Europe/Paris moved from UTC+1 to UTC+2 at 02:00 local time on 28 March 2027.
        let before = try VenueTime.instant(date: "2027-03-27", time: "17:00", timeZone: "Europe/Paris")
        let after = try VenueTime.instant(date: "2027-03-28", time: "17:00", timeZone: "Europe/Paris")
        #expect(iso(before) == "2027-03-27T16:00:00Z")
        #expect(iso(after) == "2027-03-28T15:00:00Z")
        #expect(after.timeIntervalSince(before) == 23 * 3600) // a 23-hour day
        #expect(VenueTime.local(after, timeZone: "Europe/Paris") == "2027-03-28T17:00:00+02:00")
    }

    @Test func localTimesReadAsFoundationsFormatStyleWritesThem() throws {
        // Whole-second instants over three centuries in zones with odd offsets, daylight saving,
        // and historic offsets in seconds (which fall back to the style itself).
        var generator = SystemRandomNumberGenerator()
        for zone in ["UTC", "Europe/London", "Europe/Zurich", "Asia/Kolkata", "America/St_Johns", "Africa/Abidjan", "Pacific/Chatham", "America/Sao_Paulo"] {
            let style = try #require(VenueTime.localStyle(timeZone: zone))
            for _ in 0..<300 {
                let instant = Date(timeIntervalSince1970: Double(Int64.random(in: -2_500_000_000...4_500_000_000, using: &generator)))
                #expect(VenueTime.local(instant, timeZone: zone) == instant.formatted(style), "\(zone) \(instant.timeIntervalSince1970)")
            }
            let fractional = Date(timeIntervalSince1970: 1_800_000_000.7)
            #expect(VenueTime.local(fractional, timeZone: zone) == fractional.formatted(style))
        }
        #expect(VenueTime.local(Date(), timeZone: "Mars/Olympus") == nil)
    }

    @Test func aSkippedOrRepeatedLocalTimeIsResolvedAsClocksDid() throws {
        // 02:30 did not exist in New York on 14 March 2027; 01:30 happened twice on 7 November 2027.
        let skipped = try VenueTime.instant(date: "2027-03-14", time: "02:30", timeZone: "America/New_York")
        #expect(iso(skipped) == "2027-03-14T07:30:00Z")
        let repeated = try VenueTime.instant(date: "2027-11-07", time: "01:30", timeZone: "America/New_York")
        #expect(iso(repeated) == "2027-11-07T05:30:00Z")
    }

    @Test func invalidLocalTimesAreRefused() {
        #expect(throws: VenueTime.Invalid.self) { try VenueTime.instant(date: "2027-02-30", time: "10:00", timeZone: "Africa/Nairobi") }
        #expect(throws: VenueTime.Invalid.self) { try VenueTime.instant(date: "2027-02-10", time: "25:00", timeZone: "Africa/Nairobi") }
        #expect(throws: VenueTime.Invalid.self) { try VenueTime.instant(date: "2027-02-10", time: "10:00", timeZone: "Mars/Olympus") }
    }

    private func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
