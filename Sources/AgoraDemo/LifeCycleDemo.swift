import Agora
import AgoraStore
import Foundation
import PostgresClient

/// The demo's policy issue, walked through a whole cycle so a newcomer sees the idea at once:
/// a round table surveys it, a conference sets norms and targets, a partnership implements
/// them, a hearing reviews the commitments and sends its proceedings to the Economic and Social
/// Council, and the issue goes back to implementation with a course correction.
struct LifeCycleDemo {
    let pool: PostgresConnectionPool
    let actor = Actor.commandLine
    static let slug = "water-informal-settlements"


    func run(invited: [UUID], registered: [UUID], partners: [(UUID, String)]) async throws {
        let issues = IssueStore(pool: pool)
        let issue = try await issues.create(
            slug: Self.slug, title: "Safe water in informal settlements",
            summary: "One in four urban residents lives in an informal settlement, most without safe water at home. How should cities, utilities and residents' organisations close the gap?",
            reportsTo: "Economic and Social Council", goals: ["SDG 6.1", "SDG 11.1"], by: actor, requestID: "demo").id

        _ = try await roundTable(of: issue, inviting: invited)
        try await transition(issue, to: .normSetting, reason: "The round table mapped the gaps; norms are needed.")
        _ = try await conference(of: issue, registering: registered)
        try await transition(issue, to: .implementation, reason: "The conference adopted norms and targets.")
        _ = try await partnership(of: issue, with: partners)
        try await transition(issue, to: .review, reason: "The partnership reported on its first year.")
        _ = try await hearing(of: issue)
        try await transition(issue, to: .implementation, reason: "The hearing found kiosk operators unpaid: correct the course.")
        try await SelectionDemo(pool: pool).run(issue: issue)
    }

    func roundTable(of issue: UUID, inviting people: [UUID]) async throws -> UUID {
        let forum = try await create(issue, .roundTable, "Round table on water in Nairobi's informal settlements",
                                     venue: .init(name: "UN Office at Nairobi", city: "Nairobi", country: "KE", timeZone: "Africa/Nairobi"),
                                     day: ("2026-03-10", "09:30", "17:00"), cap: 12)
        let participation = ParticipationStore(pool: pool)
        for (index, person) in people.enumerated() {
            let invitation = try await participation.invite(person, to: forum, by: actor, requestID: "demo")
            _ = try await participation.answer(invitation.id, accept: index < 2, within: nil, by: actor, requestID: "demo")
        }
        try await advance(forum, to: .held)
        try await conclude(forum, .roundTable(summary: "Residents, the utility and city officials mapped where water points are missing and what water costs: up to ten times the utility tariff from vendors."))
        return forum
    }

    func conference(of issue: UUID, registering people: [UUID]) async throws -> UUID {
        let forum = try await create(issue, .conference, "Conference on norms for water in informal settlements",
                                     venue: .init(name: "Palais des Nations", city: "Geneva", country: "CH", timeZone: "Europe/Zurich"),
                                     day: ("2026-06-15", "10:00", "18:00"), cap: nil)
        try await advance(forum, to: .announced)
        let participation = ParticipationStore(pool: pool)
        for person in people {
            let registration = try await participation.register(person, for: forum, within: nil, by: actor, requestID: "demo")
            _ = try await participation.approve(registration.id, by: actor, requestID: "demo")
        }
        try await advance(forum, to: .held)
        try await conclude(forum, .conference(
            summary: "Adopted the Geneva norms on water in informal settlements.",
            norms: ["Every household is within 200 metres of a safe water point.", "Kiosk water costs no more than the utility tariff."],
            targets: [
                ConferenceTarget(text: "Halve the share of settlement households without a safe water point", indicator: "SDG 6.1.1", due: "2030-12-31"),
                ConferenceTarget(text: "Kiosk prices at the utility tariff in pilot cities", indicator: "Median kiosk price / tariff", due: "2028-12-31"),
            ]))
        return forum
    }

    func partnership(of issue: UUID, with partners: [(UUID, String)]) async throws -> UUID {
        let forum = try await create(issue, .partnership, "Nairobi water kiosks partnership",
                                     venue: .init(name: "Nairobi City Hall", city: "Nairobi", country: "KE", timeZone: "Africa/Nairobi"),
                                     day: ("2026-09-01", "09:00", "13:00"), cap: nil)
        try await advance(forum, to: .announced)
        let store = PartnershipStore(pool: pool)
        for (organisation, role) in partners {
            _ = try await store.addPartner(organisation, role: role, to: forum, by: actor, requestID: "demo")
        }
        let commitments: [PartnershipStore.CommitmentFields] = [
            .init(organisation: partners[0].0, deliverable: "Open 200 community water kiosks", due: "2027-06-30", status: .onTrack,
                  evidence: .some("https://example.org/nairobi-kiosks/progress")),
            .init(organisation: partners[0].0, deliverable: "Pay kiosk operators a monthly stipend", due: "2026-10-31", status: .delayed),
            .init(organisation: partners[1].0, deliverable: "Share rainwater-harvesting designs with settlement groups", due: "2026-12-31", status: .planned),
        ]
        for commitment in commitments {
            _ = try await store.addCommitment(commitment, to: forum, by: actor, requestID: "demo")
        }
        try await advance(forum, to: .held)
        try await conclude(forum, .partnership(progressReport: "64 kiosks open; operator stipends are delayed; rainwater designs in preparation."))
        return forum
    }

    func hearing(of issue: UUID) async throws -> UUID {
        let forum = try await create(issue, .hearing, "Hearing on water in informal settlements",
                                     venue: .init(name: "United Nations Headquarters", city: "New York", country: "US", timeZone: "America/New_York"),
                                     day: ("2026-11-05", "10:00", "13:00"), cap: nil, chair: "Vice-President of the Economic and Social Council")
        try await advance(forum, to: .held)
        try await conclude(forum, .hearing(
            summary: "Speakers from three constituencies reviewed the partnership's first year against the Geneva targets.",
            statements: [
                HearingStatement(speaker: "Wanjiru Kamau", organisation: "Rift Valley Growers", constituency: "farmers",
                                 text: "Kiosks opened faster than planned, but operators have not been paid since July."),
                HearingStatement(speaker: "Aïchatou Maïga", organisation: "Réseau des femmes du Sahel", constituency: "women",
                                 text: "Women still walk to vendors at night where kiosks close at six."),
                HearingStatement(speaker: "Sione Tupou", organisation: "Pacific Youth Climate Forum", constituency: "children_youth",
                                 text: "Rainwater designs should reach island settlements too."),
                HearingStatement(speaker: "Anil Menon", organisation: "Kerala Farmers' Collective", constituency: "farmers",
                                 text: "Farm water and settlement water draw on the same aquifers."),
                HearingStatement(speaker: "Rosa Quispe", organisation: "Mujeres Andinas", constituency: "women",
                                 text: "Price monitoring must be done by residents, not only the utility."),
            ],
            recommendations: [
                HearingRecommendation(kind: .courseCorrection, text: "Pay kiosk operators from the tariff before opening more kiosks."),
                HearingRecommendation(kind: .recommendation, text: "Keep kiosks open until 22:00."),
                HearingRecommendation(kind: .recommendation, text: "Residents' organisations publish kiosk prices monthly."),
            ]))
        let proceedings = ProceedingsStore(pool: pool)
        _ = try await proceedings.transmit(forum, documentReference: "E/2026/L.41", on: "2026-11-12", by: actor, requestID: "demo")
        _ = try await proceedings.acknowledge(forum, on: "2026-11-19", acknowledgement: "Circulated to members of the Council as E/2026/L.41.",
                                              by: actor, requestID: "demo")
        return forum
    }

    // MARK: Steps

    func create(_ issue: UUID, _ kind: ForumKind, _ title: String, venue: Forum.Venue, day: (String, String, String),
                cap: Int?, chair: String? = nil) async throws -> UUID {
        let starts = try VenueTime.instant(date: day.0, time: day.1, timeZone: venue.timeZone)
        let ends = try VenueTime.instant(date: day.0, time: day.2, timeZone: venue.timeZone)
        let forum = Forum(id: UUID(), issue: issue, kind: kind, title: title, venue: venue, startsAt: starts, endsAt: ends,
                          nominationsDeadline: nil, speakingSlots: nil, speakingMinutes: nil, participantCap: cap, chair: chair,
                          status: .draft, version: 1)
        guard let created = try await ForumStore(pool: pool).create(forum, by: actor, requestID: "demo") else { throw DemoData.Refused(description: "no issue") }
        return created.id
    }

    /// Walks the forum through its statuses up to `target`.
    func advance(_ forum: UUID, to target: ForumStatus) async throws {
        let store = ForumStore(pool: pool)
        guard var current = try await store.forum(forum) else { throw DemoData.Refused(description: "no forum") }
        while current.status < target, let next = current.status.allowedNext(kind: current.kind).first {
            let moved = try await store.changeStatus(forum, to: next, by: actor, requestID: "demo")
            current = moved
        }
    }

    func conclude(_ forum: UUID, _ outcome: ForumOutcome) async throws {
        _ = try await ForumStore(pool: pool).conclude(forum, outcome: outcome, by: actor, requestID: "demo")
    }

    func transition(_ issue: UUID, to stage: IssueStage, reason: String) async throws {
        _ = try await IssueStore(pool: pool).transition(issue, to: stage, reason: reason, by: actor, requestID: "demo")
    }
}
