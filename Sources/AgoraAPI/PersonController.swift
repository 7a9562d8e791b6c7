import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/people`: everyone sees name, organisation, country and constituency; personal data
/// (languages, gender, e-mail) only those ``Visibility/seesPersonalData`` names.
/// The secretariat and an organisation's contacts register and edit that organisation's people.
struct PersonController {
    let store: PersonStore
    let idempotency: Idempotency

    static let fields: Set<String> = ["name", "organisation", "country", "languages", "gender", "email"]

    /// A person as the caller may see them.
    struct PersonView: Encodable, Sendable {
        var id: UUID
        var name: String
        var organisation: UUID?
        var country: String
        var constituency: String?
        var languages: [String]?
        var gender: String?
        var email: String?
        var version: Int

        init(_ person: Person, for actor: Actor, nominatedByCaller: Bool = false) {
            id = person.id
            name = person.name
            organisation = person.organisation
            country = person.country
            constituency = person.constituency
            version = person.version
            if Visibility.seesPersonalData(personOrganisation: person.organisation, nominatedByViewer: nominatedByCaller, viewer: actor) {
                languages = person.languages
                gender = person.gender
                email = person.email
            }
        }
    }

    func addRoutes(to routes: AccessControlledRoutes) {
        let people = routes.group("/people")

        people.get(":id", rule: .everyone) { _, context in
            guard let person = try await store.person(try context.pathID()) else { throw Refusal.notFound() }
            // A network that nominated the person (an active nomination) needs to reach them.
            let networks = context.actor.networks
            let nominated = networks.isEmpty ? false : try await store.isNominated(person.id, byAnyOf: networks)
            return try APIJSON.response(PersonView(person, for: context.actor, nominatedByCaller: nominated),
                                        headers: [.eTag: EntityTag.header(version: person.version)])
        }

        routes.get("/organisations/:id/people", rule: .everyone) { request, context in
            let people = try await store.people(of: try context.pathID()).map { PersonView($0, for: context.actor) }
            return try APIJSON.response(try Page(slicing: people, try PageRequest(request), key: \.id.uuidString))
        }

        people.post("", rule: .roles([.secretariat, .organisation])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: Self.fields)
            let actor = context.actor
            return try await idempotency.run(request, body: body, context: context, answer: { (person: Person) in
                try JSONAnswer(PersonView(person, for: actor), status: .created, headers: [
                    .location: "/people/\(person.id.uuidString)",
                    .eTag: EntityTag.header(version: person.version),
                ])
            }) {
                var reader = reader
                var fields = Self.read(&reader, creating: true)
                try reader.check()
                if !context.actor.has(.secretariat) {
                    // A contact registers people of its own organisation only.
                    guard let organisation = fields.organisation ?? nil, context.actor.organisations.contains(organisation) else {
                        throw Refusal.invalid([.init(field: "organisation", message: "must be your own organisation")])
                    }
                }
                if fields.languages == nil { fields.languages = [] }
                return try await store.create(fields, by: context.actor, requestID: context.requestID)
            }
        }

        people.patch(":id", rule: .roles([.secretariat, .organisation])) { request, context in
            let id = try context.pathID()
            // Whether the caller may edit this person is checked by the store under the row lock
            // (a person of another organisation is not found).
            let (reader, _) = try await FieldReader.read(request, context: context, accepted: Self.fields)
            var fieldReader = reader
            let fields = Self.read(&fieldReader, creating: false)
            try fieldReader.check()
            if !context.actor.has(.secretariat), let moved = fields.organisation {
                guard let target = moved, context.actor.organisations.contains(target) else {
                    throw Refusal.invalid([.init(field: "organisation", message: "must be your own organisation")])
                }
            }
            let expected = try EntityTag.expectedVersion(request)
            let scope = context.actor.has(.secretariat) ? nil : context.actor.organisations
            let outcome = try await store.update(id, fields, expectedVersion: expected, within: scope, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(PersonView(outcome, for: context.actor), version: outcome.version)
        }
    }

    static func read(_ reader: inout FieldReader, creating: Bool) -> Person.Fields {
        var fields = Person.Fields()
        if creating || reader.has("name") { fields.name = reader.string("name", required: true) }
        if creating || reader.has("country") { fields.country = reader.string("country", required: true, maxLength: 2) }
        if let organisation = reader.clearableString("organisation", maxLength: 36) {
            if let text = organisation {
                if let id = UUID(uuidString: text) { fields.organisation = .some(id) } else {
                    reader.errors.append(.init(field: "organisation", message: "must be an organisation id"))
                }
            } else {
                fields.organisation = .some(nil)
            }
        }
        if let value = reader.fields["languages"] {
            if case .array(let items) = value, items.count <= 20 {
                let languages = items.compactMap { item -> String? in
                    if case .string(let text) = item, (1...50).contains(text.count) { return text }
                    return nil
                }
                if languages.count == items.count { fields.languages = languages } else {
                    reader.errors.append(.init(field: "languages", message: "must be a list of language names or codes"))
                }
            } else {
                reader.errors.append(.init(field: "languages", message: "must be a list of at most 20 languages"))
            }
        }
        // Self-described, never required: `woman`, `man`, another word, or null (not stated).
        fields.gender = reader.clearableString("gender", maxLength: 100)
        if let email = reader.clearableString("email", maxLength: 300) {
            if let text = email, !(text.contains("@") && !text.contains(" ")) {
                reader.errors.append(.init(field: "email", message: "must be an e-mail address"))
            } else {
                fields.email = email
            }
        }
        return fields
    }
}
