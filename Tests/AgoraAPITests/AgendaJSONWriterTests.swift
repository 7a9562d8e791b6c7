import Agora
@testable import AgoraAPI
import Foundation
import Testing

@Suite("The agenda's JSON writer")
struct AgendaJSONWriterTests {
    static func agenda(version: Int?, tricky: String) -> Agenda {
        let person = { (name: String, organisation: Bool) in
            AgendaPerson(person: UUID(), name: name, organisation: organisation ? AgendaOrganisation(id: UUID(), name: "Org / \(name)") : nil,
                         constituency: organisation ? "ngo" : nil, country: "KE")
        }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let sessions = (0..<4).map { index in
            AgendaSession(id: UUID(), number: index + 1, title: "\(tricky) \(index)", format: SessionFormat.allCases[index % 5],
                          status: index == 3 ? .cancelled : .scheduled, startsAt: start.addingTimeInterval(Double(index) * 5400),
                          endsAt: start.addingTimeInterval(Double(index) * 5400 + 3600), room: AgendaRoom(id: UUID(), name: "Room \(index)"),
                          chair: index == 0 ? person("Chair \(tricky)", true) : nil, description: index == 1 ? "" : tricky,
                          languages: index == 2 ? [] : ["en", "fr"], interpretation: ["zh-Hans"],
                          speakers: (0..<index).map { AgendaSpeaker(id: UUID(), position: $0 + 1, minutes: 5 + $0, speaker: person("Speaker \($0) \(tricky)", $0 % 2 == 0)) },
                          sequence: index, version: index + 2)
        }
        return Agenda(forum: UUID(), title: tricky, venue: Forum.Venue(id: UUID(), name: "Palais", city: "Genève", country: "CH", timeZone: "Europe/Zurich"),
                      startsAt: start, endsAt: start.addingTimeInterval(86_400 * 2), version: version, name: version == nil ? nil : "Revised \(tricky)",
                      comment: version == nil ? nil : tricky, publishedAt: version == nil ? nil : start.addingTimeInterval(-86_400), sessions: sessions)
    }

    @Test(arguments: ["plain", "quotes \" and \\ and / slashes", "lines\nand\ttabs\r\u{1}\u{1f} controls", "été 議 🎙 👩‍👩‍👧‍👦"])
    func writesWhatTheEncoderWrites(tricky: String) throws {
        for version in [nil, 3] {
            let view = AgendaFormats.view(Self.agenda(version: version, tricky: tricky))
            let written = AgendaJSONWriter.write(view)
            let encoded = try APIJSON.encode(view)
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
        }
    }
}
