import Agora
import Foundation
import Testing

@Suite("Workspace booking rules")
struct WorkspaceRulesTests {
    static let everyDay = OpeningHours(Dictionary(uniqueKeysWithValues: OpeningHours.weekdays.map { ($0, OpeningHours.Span(opens: "08:00", closes: "20:00")) }))

    static func room(_ name: String, capacity: Int = 20, equipment: [Equipment] = [.computers, .internet], hours: OpeningHours = everyDay) -> WorkspaceRoom {
        WorkspaceRoom(id: UUID(), name: name, capacity: capacity, accessibility: "", equipment: equipment, openingHours: hours)
    }

    static func check(_ rooms: [WorkspaceRoom], zone: String = "Europe/Zurich", days: ClosedRange<String> = "2027-03-27"..."2027-03-29",
                      window: PriorityWindow? = nil) -> BookingRequestCheck {
        let offer = WorkspaceOffer(forum: UUID(), timeZone: zone, rooms: rooms, bookingOpensAt: instant("2027-03-01T08:00:00Z"),
                                   bookingClosesAt: instant("2027-03-29T20:00:00Z"), rules: WorkspaceRules(), priorityWindow: window, version: 1)
        return BookingRequestCheck(offer: offer, clock: VenueClock(timeZone: zone)!,
                                   forumDays: VenueClock.day(days.lowerBound)!...VenueClock.day(days.upperBound)!)
    }

    static func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func daysCountFromTheEpochBothWays() {
        #expect(VenueClock.day("1970-01-01") == 0)
        #expect(VenueClock.day("2027-03-28") == 20_905)
        #expect(VenueClock.date(day: 20_905) == "2027-03-28")
        #expect(VenueClock.weekday(day: 20_905) == 7) // a Sunday
        #expect(VenueClock.day("2027-02-30") == nil)
    }

    @Test func wholeSlotsWithinHoursTheForumAndTheRules() {
        let room = Self.room("Salle 1")
        let check = Self.check([room])
        let now = Self.instant("2027-03-20T08:00:00Z")
        // 10:00 to 11:00 in Geneva (UTC+1 before the change): fine.
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T10:00:00Z"), attendees: 5, now: now).isEmpty)
        // Inverted and empty ranges.
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T10:00:00Z"), end: Self.instant("2027-03-27T09:00:00Z"), attendees: 5, now: now).map(\.field) == ["endsAt"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T10:00:00Z"), end: Self.instant("2027-03-27T10:00:00Z"), attendees: 5, now: now).map(\.field) == ["endsAt"])
        // A half slot at either end.
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:15:00Z"), end: Self.instant("2027-03-27T10:15:00Z"), attendees: 5, now: now).map(\.field) == ["startsAt"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T09:45:00Z"), attendees: 5, now: now).map(\.field) == ["endsAt"])
        // Longer than two hours; before opening; over capacity; outside the forum's days; in the past.
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T11:30:00Z"), attendees: 5, now: now).map(\.field) == ["endsAt"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T06:00:00Z"), end: Self.instant("2027-03-27T07:00:00Z"), attendees: 5, now: now).map(\.field) == ["startsAt"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T10:00:00Z"), attendees: 21, now: now).map(\.field) == ["attendees"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-30T09:00:00Z"), end: Self.instant("2027-03-30T10:00:00Z"), attendees: 5, now: now).map(\.field) == ["startsAt"])
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T10:00:00Z"), attendees: 5,
                               now: Self.instant("2027-03-27T09:31:00Z")).map(\.field) == ["startsAt"])
        // The slot under way may still be booked.
        #expect(check.problems(room: room, start: Self.instant("2027-03-27T09:00:00Z"), end: Self.instant("2027-03-27T10:00:00Z"), attendees: 5,
                               now: Self.instant("2027-03-27T09:29:59Z")).isEmpty)
    }

    @Test func theSpringForwardDayHasAnHourLessOfSlots() throws {
        let night = OpeningHours(["sunday": .init(opens: "00:00", closes: "06:00"), "saturday": .init(opens: "00:00", closes: "06:00")])
        let room = Self.room("Salle de nuit", hours: night)
        let check = Self.check([room])
        let sunday = try #require(VenueClock.day("2027-03-28"))
        let slots = check.slots(of: room, day: sunday)
        // 00:00 to 06:00 on the clock, without 02:00–03:00, which does not exist that night.
        #expect(slots.count == 10)
        #expect(slots.map { VenueTime.local($0, timeZone: "Europe/Zurich")! }.contains("2027-03-28T01:30:00+01:00"))
        #expect(slots.map { VenueTime.local($0, timeZone: "Europe/Zurich")! }.contains("2027-03-28T03:00:00+02:00"))
        #expect(!slots.map { VenueTime.local($0, timeZone: "Europe/Zurich")! }.contains { $0.contains("T02:") })
        // The day before is a whole one.
        #expect(check.slots(of: room, day: sunday - 1).count == 12)
        // 01:30 to 03:30 on the clock is one hour, within the night's hours.
        #expect(check.problems(room: room, start: Self.instant("2027-03-28T00:30:00Z"), end: Self.instant("2027-03-28T01:30:00Z"), attendees: 1,
                               now: Self.instant("2027-03-20T00:00:00Z")).isEmpty)
    }

    @Test func theFallBackDayRepeatsAnHour() throws {
        let night = OpeningHours(["sunday": .init(opens: "00:00", closes: "06:00")])
        let room = Self.room("Salle de nuit", hours: night)
        let check = Self.check([room], days: "2027-10-30"..."2027-11-01")
        let slots = check.slots(of: room, day: try #require(VenueClock.day("2027-10-31")))
        #expect(slots.count == 14)
        let local = slots.map { VenueTime.local($0, timeZone: "Europe/Zurich")! }
        #expect(local.contains("2027-10-31T02:30:00+02:00") && local.contains("2027-10-31T02:30:00+01:00"))
    }

    @Test func alternativesAreFreeAndFitTheRequest() {
        let asked = Self.room("Salle 1", capacity: 10)
        let twin = Self.room("Salle 2", capacity: 12)
        let small = Self.room("Salle 3", capacity: 4)
        let bare = Self.room("Salle 4", capacity: 30, equipment: [.internet])
        let held = Self.room("Salle 5", capacity: 30, equipment: [.computers, .internet, .printer])
        let check = Self.check([asked, twin, small, bare, held])
        let start = Self.instant("2027-03-27T09:00:00Z"), end = Self.instant("2027-03-27T10:00:00Z")
        let busy: [UUID: [Range<Date>]] = [
            asked.id: [start..<end, Self.instant("2027-03-27T10:00:00Z")..<Self.instant("2027-03-27T11:00:00Z")],
            held.id: [Self.instant("2027-03-27T09:30:00Z")..<Self.instant("2027-03-27T10:30:00Z")],
        ]
        let found = check.alternatives(room: asked, start: start, end: end, attendees: 8, now: Self.instant("2027-03-20T00:00:00Z"), busy: busy)
        // The same room from 11:00 (UTC) on, in 30-minute steps, then the one other room that fits.
        #expect(found.map(\.startsAt) == [Self.instant("2027-03-27T11:00:00Z"), Self.instant("2027-03-27T11:30:00Z"), Self.instant("2027-03-27T12:00:00Z"), start])
        #expect(found.map(\.room) == [asked.id, asked.id, asked.id, twin.id])
        for alternative in found {
            #expect(alternative.endsAt.timeIntervalSince(alternative.startsAt) == 3600)
            #expect(!(busy[alternative.room] ?? []).contains { $0.overlaps(alternative.startsAt..<alternative.endsAt) })
        }
    }

    @Test func thePriorityWindowSaysWhenBookingOpensForEveryone() {
        let check = Self.check([Self.room("Salle 1")], window: PriorityWindow(hours: 48, underRepresented: ["indigenous"]))
        let during = Self.instant("2027-03-02T08:00:00Z")
        #expect(check.windowRefusal(now: during, hasPriority: true) == nil)
        let refusal = check.windowRefusal(now: during, hasPriority: false)
        #expect(refusal?.code == .priorityWindow)
        #expect(refusal?.detail?.contains("2027-03-03T08:00:00Z") == true)
        #expect(check.windowRefusal(now: Self.instant("2027-03-03T08:00:00Z"), hasPriority: false) == nil)
        #expect(check.windowRefusal(now: Self.instant("2027-02-28T08:00:00Z"), hasPriority: true)?.code == .bookingNotOpen)
        #expect(check.windowRefusal(now: Self.instant("2027-03-29T20:00:00Z"), hasPriority: true)?.code == .bookingClosed)
    }

    @Test func openingHoursAreRefusedNamingTheField() {
        let problems = OpeningHours.problems(["moonday": .init(opens: "09:00", closes: "18:00"), "monday": .init(opens: "18:00", closes: "09:00"),
                                              "friday": .init(opens: "9h", closes: "24:01")])
        #expect(Set(problems.map(\.field)) == ["openingHours.moonday", "openingHours.monday.closes", "openingHours.friday.opens", "openingHours.friday.closes"])
    }
}
