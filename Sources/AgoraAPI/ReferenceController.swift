import Agora
import AgoraStore
import Foundation
import Hummingbird

/// `/countries` and `/constituencies`: public reference data the secretariat maintains.
struct ReferenceController {
    let store: DirectoryStore
    let idempotency: Idempotency

    func addRoutes(to routes: AccessControlledRoutes) {
        let countries = routes.group("/countries")
        let constituencies = routes.group("/constituencies")

        countries.get("", rule: .everyone) { request, _ in
            try APIJSON.response(try Page(slicing: try await store.countries(), try PageRequest(request), key: \.alpha2))
        }
        countries.get(":code", rule: .everyone) { _, context in
            guard let code = context.parameters.get("code"), let country = try await store.country(alpha2: code) else { throw Refusal.notFound() }
            return try APIJSON.response(country)
        }
        countries.patch(":code", rule: .roles([.secretariat])) { request, context in
            let (reader, _) = try await FieldReader.read(request, context: context, accepted: ["developing"])
            guard case .bool(let developing)? = reader.fields["developing"] else {
                throw Refusal.invalid([.init(field: "developing", message: "must be true or false")])
            }
            guard let code = context.parameters.get("code"),
                  let country = try await store.setDeveloping(developing, alpha2: code, by: context.actor, requestID: context.requestID)
            else { throw Refusal.notFound() }
            return try APIJSON.response(country)
        }
        constituencies.get("", rule: .everyone) { request, _ in
            try APIJSON.response(try Page(slicing: try await store.constituencies(), try PageRequest(request), key: \.code))
        }
        constituencies.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["code", "name"])
            return try await idempotency.run(request, body: body, context: context, answer: { (constituency: Constituency) in
                try JSONAnswer(constituency, status: .created)
            }) {
                var reader = reader
                let code = reader.string("code", required: true, maxLength: 40)
                let name = reader.string("name", required: true, maxLength: 200)
                if let code, code.range(of: "^[a-z][a-z0-9_]{1,39}$", options: .regularExpression) == nil {
                    reader.errors.append(.init(field: "code", message: "must be lower-case letters, digits and underscores"))
                }
                try reader.check()
                let constituency = Constituency(code: code!, name: name!)
                return try await store.addConstituency(constituency, by: context.actor, requestID: context.requestID)
            }
        }
    }
}
