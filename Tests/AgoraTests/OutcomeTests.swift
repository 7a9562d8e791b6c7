import Agora
import Foundation
import Testing

@Suite("Forum outcomes")
struct OutcomeTests {
    private func json(_ text: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
    }

    @Test func aConferenceOutcomeHoldsItsTargets() throws {
        let outcome = try ForumOutcome(kind: .conference, json: try json("""
            {"summary": "Adopted the framework", "norms": ["Every settlement has a safe water point"],
             "targets": [{"text": "Halve the share without safe water", "indicator": "SDG 6.1.1", "due": "2030-12-31"}]}
            """))
        guard case .conference(let summary, let norms, let targets) = outcome else {
            Issue.record("not a conference outcome: \(outcome)")
            return
        }
        #expect(summary == "Adopted the framework")
        #expect(norms == ["Every settlement has a safe water point"])
        #expect(targets == [ConferenceTarget(text: "Halve the share without safe water", indicator: "SDG 6.1.1", due: "2030-12-31")])
        #expect(try ForumOutcome(kind: .conference, json: outcome.json) == outcome)
    }

    @Test func everyProblemIsNamedByItsPath() throws {
        #expect(throws: Refusal.invalid([
            .init(field: "targets[0].due", message: "must be a date YYYY-MM-DD"),
            .init(field: "targets[1].owner", message: "is not a known field"),
            .init(field: "targets[1].indicator", message: "is required"),
        ])) {
            try ForumOutcome(kind: .conference, json: try json("""
                {"summary": "s", "targets": [{"text": "t", "indicator": "i", "due": "2030-02-30"},
                                             {"text": "t", "due": "2030-01-01", "owner": "x"}]}
                """))
        }
        #expect(throws: Refusal.invalid([.init(field: "targets", message: "must be a list of 1 to 200 items")])) {
            try ForumOutcome(kind: .conference, json: try json(#"{"summary": "s", "targets": []}"#))
        }
        #expect(throws: Refusal.invalid([.init(field: "summary", message: "is not part of a partnership outcome"),
                                       .init(field: "progressReport", message: "is required")])) {
            try ForumOutcome(kind: .partnership, json: try json(#"{"summary": "s"}"#))
        }
    }

    @Test func aHearingCountsEachSpeakerOncePerConstituency() throws {
        let outcome = try ForumOutcome(kind: .hearing, json: try json("""
            {"summary": "Heard eight speakers",
             "statements": [
               {"speaker": "Amina", "constituency": "women", "text": "First"},
               {"speaker": "Amina", "constituency": "women", "text": "Second"},
               {"speaker": "Kofi", "organisation": "Union", "constituency": "workers_trade_unions", "text": "Third"},
               {"speaker": "Lena", "constituency": "women", "text": "Fourth"},
               {"speaker": "Ravi", "constituency": "ngo", "text": "Fifth"}],
             "recommendations": [{"kind": "course_correction", "text": "Fund the water kiosks"}]}
            """))
        #expect(outcome.constituencyBreakdown == [
            ConstituencyCount(constituency: "women", speakers: 2),
            ConstituencyCount(constituency: "ngo", speakers: 1),
            ConstituencyCount(constituency: "workers_trade_unions", speakers: 1),
        ])
        #expect(outcome.constituencies == ["women", "ngo", "workers_trade_unions"])
        #expect(outcome.publicJSON["constituencyBreakdown"] != nil)
        #expect(outcome.json["constituencyBreakdown"] == nil)
        #expect(throws: Refusal.invalid([.init(field: "recommendations[0].kind", message: "must be recommendation or course_correction")])) {
            try ForumOutcome(kind: .hearing, json: try json("""
                {"summary": "s", "statements": [{"speaker": "A", "constituency": "ngo", "text": "t"}],
                 "recommendations": [{"kind": "wish", "text": "t"}]}
                """))
        }
    }

    @Test func calendarDatesMustExist() {
        #expect(CalendarDate("2028-02-29") != nil)
        #expect(CalendarDate("2027-02-29") == nil)
        #expect(CalendarDate("2027-2-01") == nil)
        #expect(CalendarDate("2027-01-31")! < CalendarDate("2027-02-01")!)
    }

    @Test func roundTablesInviteAndOtherKindsRegisterUntilHeld() {
        #expect(ParticipationMode(kind: .roundTable) == .invitation)
        for kind in [ForumKind.conference, .partnership, .hearing] { #expect(ParticipationMode(kind: kind) == .registration) }
        #expect(ParticipationMode.invitation.isOpen(at: .draft))
        #expect(!ParticipationMode.registration.isOpen(at: .draft))
        for status in ForumStatus.allCases where status >= .held {
            #expect(!ParticipationMode.invitation.isOpen(at: status))
            #expect(!ParticipationMode.registration.isOpen(at: status))
        }
    }
}
