import Agora
import AgoraStore
import Foundation
import HTTPTypes
import Hummingbird

/// `/issues`: policy issues and their life cycle. Everyone reads them and their history; the
/// secretariat creates them and moves them from stage to stage.
struct IssueController {
    let store: IssueStore
    let idempotency: Idempotency

    func addRoutes(to routes: AccessControlledRoutes) {
        let issues = routes.group("/issues")

        issues.get("", rule: .everyone) { request, _ in
            let page = try PageRequest(request)
            let after = try page.cursor.map { try Cursor.decode($0, as: String.self) }
            let found = try await store.list(limit: page.limit + 1, after: after)
            return try APIJSON.response(Page(fetched: found, limit: page.limit) { $0.slug })
        }

        issues.get(":id", rule: .everyone) { _, context in
            guard let issue = try await store.issue(try context.pathID()) else { throw Refusal.notFound() }
            return try APIJSON.response(issue, headers: [.eTag: EntityTag.header(version: issue.version)])
        }

        issues.get(":id/history", rule: .everyone) { _, context in
            let id = try context.pathID()
            guard try await store.issue(id) != nil else { throw Refusal.notFound() }
            return try APIJSON.response(Page(items: try await store.history(id), next: nil))
        }

        issues.post("", rule: .roles([.secretariat])) { request, context in
            let (reader, body) = try await FieldReader.read(request, context: context, accepted: ["slug", "title", "summary", "reportsTo", "goals"])
            return try await idempotency.run(request, body: body, context: context, answer: { (issue: PolicyIssue) in
                try JSONAnswer(issue, status: .created, headers: [
                    .location: "/issues/\(issue.id.uuidString)", .eTag: EntityTag.header(version: issue.version),
                ])
            }) {
                var reader = reader
                let slug = reader.string("slug", required: true, maxLength: 100)
                if let slug, slug.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) == nil {
                    reader.errors.append(.init(field: "slug", message: "must be lower-case words joined by hyphens"))
                }
                let title = reader.string("title", required: true)
                let summary = reader.string("summary", maxLength: 10_000) ?? ""
                let reportsTo = reader.string("reportsTo", required: true)
                let goals = Self.goals(&reader) ?? []
                try reader.check()
                return try await store.create(slug: slug!, title: title!, summary: summary, reportsTo: reportsTo!, goals: goals,
                                           by: context.actor, requestID: context.requestID)
            }
        }

        issues.patch(":id", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["title", "summary", "reportsTo", "goals"])
            reader.refuseNulls(["title", "summary", "reportsTo", "goals"])
            var changes = PolicyIssue.Changes()
            if reader.has("title") { changes.title = reader.string("title", required: true) }
            if reader.has("summary") {
                // An empty summary is allowed, as at creation.
                if case .string(let text)? = reader.fields["summary"], text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    changes.summary = ""
                } else {
                    changes.summary = reader.string("summary", maxLength: 10_000)
                }
            }
            if reader.has("reportsTo") { changes.reportsTo = reader.string("reportsTo", required: true) }
            changes.goals = Self.goals(&reader)
            try reader.check()
            let expected = try EntityTag.expectedVersion(request)
            let outcome = try await store.update(id, changes, expectedVersion: expected, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(outcome, version: outcome.version)
        }

        issues.post(":id/transitions", rule: .roles([.secretariat])) { request, context in
            let id = try context.pathID()
            var (reader, _) = try await FieldReader.read(request, context: context, accepted: ["to", "reason"])
            let target = reader.string("to", required: true, maxLength: 40)
            let stage = target.flatMap(IssueStage.init(rawValue:))
            if target != nil && stage == nil {
                reader.errors.append(.init(field: "to", message: "must be one of " + IssueStage.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            let reason = reader.fields["reason"].flatMap { if case .string(let text) = $0 { return text } else { return nil } } ?? ""
            if reason.unicodeScalars.count > Self.reasonLimit {
                reader.errors.append(.init(field: "reason", message: "must be at most \(Self.reasonLimit) characters"))
            }
            try reader.check()
            let issue = try await store.transition(id, to: stage!, reason: reason, by: context.actor, requestID: context.requestID)
            return try versionedAnswer(issue, version: issue.version)
        }
    }

    /// The `goals` list of short tags; nil when absent.
    static func goals(_ reader: inout FieldReader) -> [String]? {
        guard let value = reader.fields["goals"], value != .null else { return nil }
        if case .array(let items) = value, items.count <= 50,
           case let texts = items.compactMap({ item -> String? in
               if case .string(let text) = item, (1...50).contains(text.unicodeScalars.count) { return text }
               return nil
           }),
           texts.count == items.count {
            return texts
        }
        reader.errors.append(.init(field: "goals", message: "must be a list of at most 50 tags of 1 to 50 characters"))
        return nil
    }

    /// The longest transition reason the history keeps (its CHECK agrees).
    static let reasonLimit = 5_000

}
