import Agora
import SMTPClient
@testable import AgoraScheduler
import Foundation
import Testing

@Suite("Webhook signatures and answers")
struct WebhookSignatureTests {
    /// The test vector of the Standard Webhooks reference libraries.
    @Test func signsLikeTheReferenceImplementation() {
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                              body: Array(#"{"test": 2432232314}"#.utf8), secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.sign(id: "x", timestamp: 1, body: [], secret: "not-a-secret") == nil)
    }

    @Test func answersMapToOutcomes() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(WebhookChannel.outcome(status: 204, retryAfter: nil, now: now) == .delivered)
        #expect(WebhookChannel.outcome(status: 410, retryAfter: nil, now: now) == .gone("the receiver answered 410 Gone"))
        #expect(WebhookChannel.outcome(status: 429, retryAfter: "120", now: now) == .transient("the receiver answered 429", retryAfter: 120))
        #expect(WebhookChannel.outcome(status: 503, retryAfter: "Fri, 15 Jan 2027 08:02:00 GMT", now: now)
                == .transient("the receiver answered 503", retryAfter: 120))
        #expect(WebhookChannel.outcome(status: 500, retryAfter: nil, now: now) == .transient("the receiver answered 500"))
        #expect(WebhookChannel.outcome(status: 404, retryAfter: nil, now: now) == .permanent("the receiver answered 404"))
        #expect(WebhookChannel.outcome(status: 301, retryAfter: nil, now: now) == .permanent("the receiver answered 301"))
    }

    /// Every e-mail has an unsubscribe link: every kind, in every language it is written in,
    /// shows the link of its e-mail (a person's opt-out, or a subscription's own).
    @Test func everyKindShowsItsEmailsUnsubscribeLink() {
        let renderer = NoticeRenderer(publicURL: "https://agora.example.org")
        for kind in NoticeKind.allCases {
            for language in renderer.languages(of: kind.rawValue) {
                let words = renderer.render(kind: kind.rawValue, language: language, values: ["optOutCode": .string("agoraout_x")])
                #expect(words?.unsubscribeURL == "https://agora.example.org/mail-opt-outs/unsubscribe?code=agoraout_x", "\(kind) \(language)")
                #expect(words?.text.contains("https://agora.example.org/mail-opt-outs/unsubscribe?code=agoraout_x") == true, "\(kind) \(language)")
                #expect(words?.html.contains("https://agora.example.org/mail-opt-outs/unsubscribe?code=agoraout_x") == true, "\(kind) \(language)")
            }
        }
    }

    @Test func everyKindHasEnglishAndFrenchWordsThatRender() {
        let renderer = NoticeRenderer(publicURL: "https://agora.example.org/")
        for kind in NoticeKind.allCases {
            #expect(renderer.languages(of: kind.rawValue).isSuperset(of: ["en", "fr"]), "\(kind)")
            for language in ["en", "fr"] {
                let values: [String: JSONValue] = [
                    "forum": .string(UUID().uuidString), "forumTitle": .string("Coastal cities & sea-level rise"), "timeZone": .string("Europe/Zurich"),
                    "startsAt": .string("2027-04-20T08:00:00Z"), "confirmBy": .string("2027-04-01T10:00:00Z"), "sessionTitle": .string("Opening"),
                    "subscription": .string(UUID().uuidString), "unsubscribeCode": .string("agorasub_x"),
                ]
                let words = renderer.render(kind: kind.rawValue, language: language, values: values)
                #expect(words != nil && !words!.subject.isEmpty && !words!.text.isEmpty, "\(kind) \(language)")
                #expect(words?.language == language)
                #expect(!(words?.text.contains("{{") ?? true))
                // The text is not HTML: an ampersand stays one; the HTML escapes it.
                if words?.subject.contains("Coastal") == true { #expect(words!.subject.contains("Coastal cities & sea-level rise")) }
                #expect(!(words?.html.contains("Coastal cities & sea") ?? false))
            }
        }
        #expect(renderer.render(kind: "agenda.changed", language: "de", values: [:])?.language == "en")
        let french = renderer.render(kind: "speaker.confirmation_requested", language: "fr",
                                     values: ["confirmBy": .string("2027-04-20T08:00:00Z"), "timeZone": .string("Europe/Zurich")])!
        // 08:00 UTC is 10:00 in Geneva in April, written the French way.
        #expect(french.text.contains("avril 2027") && french.text.contains("10:00"), "\(french.text)")
    }
}

@Suite("E-mail channel")
struct MailChannelTests {
    @Test func onlyARefusalOfTheRecipientOrMessageIsPermanent() {
        #expect(SMTPTransport.isPermanent(SMTPError(.rejected(code: 550, text: "no such user"), "RCPT refused")))
        #expect(SMTPTransport.isPermanent(SMTPError(.invalidMessage, "bad header")))
        // The relay refusing us is an outage of the channel: tried again later.
        #expect(!SMTPTransport.isPermanent(SMTPError(.rejected(code: 535, text: "authentication failed"), "AUTH refused")))
        #expect(!SMTPTransport.isPermanent(SMTPError(.configuration, "STARTTLS required but not offered")))
        #expect(!SMTPTransport.isPermanent(SMTPError(.rejected(code: 451, text: "try later"), "MAIL refused")))
        #expect(!SMTPTransport.isPermanent(SMTPError(.connection, "timed out")))
    }

    @Test func errorsKeepNoAddresses() {
        let text = SMTPTransport.withoutAddresses("550 5.1.1 <amina.k@example.org>: RCPT TO:<amina.k@example.org> refused for bob@x.org")
        #expect(!text.contains("@"), "\(text)")
        #expect(text.contains("550 5.1.1"))
    }
}
