import Agora
import Foundation
import Mustache

/// The printable HTML page of a hearing's proceedings, rendered with Mustache (which escapes
/// every value for HTML).
enum ProceedingsPage {
    static let template: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: source)
        } catch {
            // The template is a constant of this file; a parse error is a programming error caught by the tests.
            fatalError("proceedings template: \(error)")
        }
    }()

    /// The page for `proceedings`.
    static func render(_ proceedings: Proceedings) -> String {
        template.render(context(proceedings))
    }

    static func context(_ proceedings: Proceedings) -> [String: Any] {
        let zone = proceedings.venue.timeZone
        let statuses: [CommitmentStatus: String] = [.planned: "planned", .onTrack: "on track", .delayed: "delayed", .done: "done", .dropped: "dropped"]
        var context: [String: Any] = [
            "title": proceedings.title,
            "issueTitle": proceedings.issue.title,
            "reportsTo": proceedings.issue.reportsTo,
            "chair": proceedings.chair,
            "venue": "\(proceedings.venue.name), \(proceedings.venue.city) (\(proceedings.venue.country))",
            "starts": readable(proceedings.startsAt, zone: zone),
            "ends": readable(proceedings.endsAt, zone: zone),
            "timeZone": zone,
            "summary": proceedings.summary,
            "breakdown": proceedings.constituencyBreakdown.map { ["name": $0.name ?? $0.constituency, "code": $0.constituency, "speakers": $0.speakers] },
            "speakerCount": Set(proceedings.statements.map(\.speaker)).count,
            "constituencyCount": proceedings.constituencyBreakdown.count,
            "statements": proceedings.statements.map { statement -> [String: Any] in
                ["speaker": statement.speaker, "organisation": statement.organisation ?? "", "hasOrganisation": statement.organisation != nil,
                 "constituency": proceedings.constituencyBreakdown.first { $0.constituency == statement.constituency }?.name ?? statement.constituency,
                 "text": statement.text]
            },
            "recommendations": proceedings.recommendations.filter { $0.kind == .recommendation }.map { ["text": $0.text] },
            "courseCorrections": proceedings.recommendations.filter { $0.kind == .courseCorrection }.map { ["text": $0.text] },
            "hasEvidence": !proceedings.evidence.isEmpty,
            "evidence": proceedings.evidence.map { commitment -> [String: Any] in
                ["partner": commitment.organisationName, "deliverable": commitment.deliverable, "due": commitment.due,
                 "status": statuses[commitment.status] ?? commitment.status.rawValue, "statusCode": commitment.status.rawValue,
                 "link": commitment.evidence ?? "", "hasLink": commitment.evidence != nil]
            },
        ]
        context["hasRecommendations"] = !(context["recommendations"] as! [[String: String]]).isEmpty
        context["hasCourseCorrections"] = !(context["courseCorrections"] as! [[String: String]]).isEmpty
        if let transmission = proceedings.transmission {
            context["transmission"] = [
                "body": transmission.body, "reference": transmission.documentReference, "on": transmission.transmittedOn,
                "acknowledged": transmission.acknowledgedOn != nil, "acknowledgedOn": transmission.acknowledgedOn ?? "",
                "acknowledgement": transmission.acknowledgement ?? "",
            ] as [String: Any]
        }
        return context
    }

    /// "28 March 2027, 10:00" at the venue.
    static func readable(_ instant: Date, zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: zone) ?? TimeZone(identifier: "UTC")!
        formatter.dateFormat = "d MMMM yyyy, HH:mm"
        return formatter.string(from: instant)
    }

    static let source = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Proceedings: {{title}}</title>
    <style>
      body { font-family: "DejaVu Serif", Georgia, serif; max-width: 46rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; color: #1a1a1a; }
      header { border-bottom: 2px solid #1a1a1a; margin-bottom: 1.5rem; }
      h1 { font-size: 1.6rem; margin: 0.2rem 0; }
      h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #999; }
      .kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.8rem; color: #555; }
      dl.facts { display: grid; grid-template-columns: 9rem 1fr; gap: 0.2rem 1rem; }
      dl.facts dt { color: #555; }
      dl.facts dd { margin: 0; }
      table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
      th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
      th { border-bottom: 2px solid #999; }
      .statement { margin: 1rem 0; page-break-inside: avoid; }
      .statement .who { font-weight: bold; }
      .statement .from { color: #555; }
      .status-delayed, .status-dropped { color: #9a1c00; font-weight: bold; }
      .status-done { color: #1d5e20; }
      td.due { white-space: nowrap; }
      .transmission { border: 1px solid #999; padding: 0.8rem 1rem; margin-top: 2rem; }
      @media print { body { margin: 0; max-width: none; } a { color: inherit; } h2 { page-break-after: avoid; } }
    </style>
    </head>
    <body>
    <header>
      <div class="kicker">Proceedings of a public hearing</div>
      <h1>{{title}}</h1>
      <p>On the issue <em>{{issueTitle}}</em>, reported to the {{reportsTo}}.</p>
    </header>
    <dl class="facts">
      <dt>Chair</dt><dd>{{chair}}</dd>
      <dt>Venue</dt><dd>{{venue}}</dd>
      <dt>Held</dt><dd>{{starts}} to {{ends}} ({{timeZone}})</dd>
      <dt>Speakers</dt><dd>{{speakerCount}} from {{constituencyCount}} constituencies</dd>
    </dl>
    <h2>Summary</h2>
    <p>{{summary}}</p>
    <h2>Who spoke, by constituency</h2>
    <table>
      <thead><tr><th>Constituency</th><th>Speakers</th></tr></thead>
      <tbody>
      {{#breakdown}}<tr><td>{{name}}</td><td>{{speakers}}</td></tr>
      {{/breakdown}}
      </tbody>
    </table>
    <h2>Statements</h2>
    {{#statements}}
    <div class="statement">
      <div><span class="who">{{speaker}}</span> <span class="from">({{#hasOrganisation}}{{organisation}}, {{/hasOrganisation}}{{constituency}})</span></div>
      <div>{{text}}</div>
    </div>
    {{/statements}}
    {{#hasRecommendations}}
    <h2>Recommendations</h2>
    <ol>
    {{#recommendations}}<li>{{text}}</li>
    {{/recommendations}}
    </ol>
    {{/hasRecommendations}}
    {{#hasCourseCorrections}}
    <h2>Course corrections</h2>
    <ol>
    {{#courseCorrections}}<li>{{text}}</li>
    {{/courseCorrections}}
    </ol>
    {{/hasCourseCorrections}}
    {{#hasEvidence}}
    <h2>Evidence: partnership commitments</h2>
    <table>
      <thead><tr><th>Partner</th><th>Commitment</th><th>Due</th><th>Status</th></tr></thead>
      <tbody>
      {{#evidence}}<tr><td>{{partner}}</td><td>{{deliverable}}{{#hasLink}} (<a href="{{link}}">evidence</a>){{/hasLink}}</td><td class="due">{{due}}</td><td class="status-{{statusCode}}">{{status}}</td></tr>
      {{/evidence}}
      </tbody>
    </table>
    {{/hasEvidence}}
    <div class="transmission">
    {{#transmission}}
      Transmitted to the {{body}} on {{on}} as document {{reference}}.
      {{#acknowledged}}Receipt acknowledged on {{acknowledgedOn}}: {{acknowledgement}}{{/acknowledged}}
      {{^acknowledged}}Receipt not yet acknowledged.{{/acknowledged}}
    {{/transmission}}
    {{^transmission}}
      Not yet transmitted.
    {{/transmission}}
    </div>
    </body>
    </html>
    """
}
