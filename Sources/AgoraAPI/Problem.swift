import Foundation
import Hummingbird
import Agora
import AgoraStore

/// An error answer in the shape of RFC 9457 (`application/problem+json`).
///
/// `type` is a stable identifier clients can branch on (`/problems/not-found`, …); `title`
/// is the same for every occurrence of the type; `detail` explains this occurrence. Every
/// problem is made from a ``Refusal`` here, and each refusal code has its status and title in
/// ``Problem/catalogue(_:)``, the one place a problem type is defined.
public struct Problem: Codable, Sendable, Equatable {
    /// Stable identifier of the kind of problem, a URI reference.
    public var type: String
    /// Short summary of the kind of problem.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// What went wrong this time.
    public var detail: String?
    /// The request id, to find the request in the logs.
    public var instance: String?
    /// Field-level validation errors (422).
    public var errors: [FieldError]?
    /// For a refused life-cycle move: the stages the issue may move to; for a method not
    /// allowed on a path (405): the methods that are (also sent as `Allow`).
    public var allowed: [String]?
    /// For an agenda change that collides: the sessions it collides with.
    public var conflictingSessions: [UUID]?
    /// For a workspace booking refused for a conflict: free slots instead.
    public var alternatives: [BookingAlternative]?

    /// One invalid field of a request body.
    public struct FieldError: Codable, Sendable, Equatable {
        /// The field's name (camelCase, dotted for nested fields).
        public var field: String
        /// Why it is invalid.
        public var message: String
        /// Creates a field error.
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// The problem answering `refusal`.
    public init(_ refusal: Refusal) {
        let (status, title) = Self.catalogue(refusal.code)
        self.type = "/problems/" + refusal.code.rawValue
        self.title = title
        self.status = status.code
        self.detail = refusal.detail
        self.errors = refusal.errors?.map { FieldError(field: $0.field, message: $0.message) }
        self.allowed = refusal.allowed
        self.conflictingSessions = refusal.conflictingSessions
        self.alternatives = refusal.alternatives
    }

    /// Each refusal's HTTP status and title: the one place a problem type is defined.
    public static func catalogue(_ code: Refusal.Code) -> (status: HTTPResponse.Status, title: String) {
        switch code {
        case .notFound: (.notFound, "Not found")
        case .validation: (.unprocessableContent, "Invalid request")
        case .unknownFields: (.badRequest, "Unknown fields")
        case .malformedBody: (.badRequest, "Malformed request body")
        case .payloadTooLarge: (.contentTooLarge, "Request body too large")
        case .unsupportedMediaType: (.unsupportedMediaType, "Unsupported media type")
        case .methodNotAllowed: (.methodNotAllowed, "Method not allowed")
        case .invalidQuery: (.badRequest, "Invalid query")
        case .invalidLimit: (.badRequest, "Invalid limit")
        case .invalidCursor: (.badRequest, "Invalid cursor")
        case .invalidIfMatch: (.badRequest, "Invalid If-Match")
        case .stale: (.preconditionFailed, "Changed meanwhile")
        case .invalidIdempotencyKey: (.badRequest, "Invalid Idempotency-Key")
        case .idempotencyMismatch: (.unprocessableContent, "Idempotency-Key reused")
        case .idempotencyInProgress: (.conflict, "Request in progress")
        case .unauthenticated: (.unauthorized, "Authentication required")
        case .forbidden: (.forbidden, "Forbidden")
        case .notYourNetwork: (.forbidden, "Not your network")
        case .transitionNotAllowed: (.conflict, "Move not in the life cycle")
        case .forumNotConcluded: (.conflict, "Stage not concluded")
        case .issueClosed: (.conflict, "Issue closed")
        case .statusNotAllowed: (.conflict, "Not the forum's next status")
        case .nominationsDeadlinePassed: (.conflict, "Nominations deadline passed")
        case .forumNotHeld: (.conflict, "Forum not held yet")
        case .wrongParticipationMode: (.conflict, "Not how this forum takes participants")
        case .participationClosed: (.conflict, "Not open to participants now")
        case .alreadyParticipating: (.conflict, "Already invited or registered")
        case .participantCapReached: (.conflict, "The round table is full")
        case .notAPartnership: (.conflict, "Not a partnership")
        case .alreadyAPartner: (.conflict, "Already a partner")
        case .notConcludedHearing: (.conflict, "No proceedings to transmit")
        case .alreadyTransmitted: (.conflict, "Already transmitted")
        case .notTransmitted: (.conflict, "Not transmitted")
        case .alreadyAcknowledged: (.conflict, "Already acknowledged")
        case .nominationsClosed: (.conflict, "Not taking nominations")
        case .committeeMember: (.conflict, "On the selection committee")
        case .alreadyNominated: (.conflict, "Already nominated")
        case .rankTaken: (.conflict, "Rank taken")
        case .forumNotReady: (.conflict, "Forum not ready for selection")
        case .nominationsNotClosed: (.conflict, "Not the time for a slate")
        case .slateStatus: (.conflict, "Not at this step")
        case .tooFewConstituencies: (.conflict, "Too few constituencies")
        case .forumStarted: (.conflict, "The forum has started")
        case .cannotSelect: (.conflict, "No selection possible")
        case .roomTaken: (.conflict, "Room taken")
        case .speakerDoubleBooked: (.conflict, "Speaker in an overlapping session")
        case .sessionCancelled: (.conflict, "Session cancelled")
        case .agendaUnchanged: (.conflict, "Nothing to publish")
        case .forumNotAnnounced: (.conflict, "Forum not announced")
        case .noticeNotDead: (.conflict, "Notice not dead")
        case .invalidCode: (.forbidden, "Invalid code")
        case .bookingConflict: (.conflict, "Room taken")
        case .bookingNotOpen: (.conflict, "Booking not open yet")
        case .bookingClosed: (.conflict, "Booking closed")
        case .priorityWindow: (.conflict, "Priority window")
        case .bookingQuotaExceeded: (.conflict, "Daily quota reached")
        case .organisationNotParticipating: (.conflict, "Organisation not taking part")
        case .bookingNotActive: (.conflict, "Booking not active")
        case .checkInNotOpen: (.conflict, "Check-in not open")
        case .workspaceRoomBooked: (.conflict, "Room still booked")
        case .rateLimited: (.tooManyRequests, "Too many requests")
        case .databaseBusy: (.serviceUnavailable, "Database busy")
        case .databaseUnavailable: (.serviceUnavailable, "Database unavailable")
        case .shuttingDown: (.serviceUnavailable, "Shutting down")
        case .internalError: (.internalServerError, "Internal server error")
        }
    }

    /// The problem an error is answered with: the one place errors become HTTP answers.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let refusal as Refusal:
            return Problem(refusal)
        case let limited as RateLimited:
            return Problem(limited.refusal)
        case let error as HTTPError:
            return from(httpStatus: error.status, body: error.body)
        case let error as any HTTPResponseError:
            return from(httpStatus: error.status, body: nil)
        default:
            return Problem(DatabaseRefusals.refusal(for: error) ?? internalError)
        }
    }

    private static let internalError = Refusal(.internalError, "Something went wrong on our side. The request id identifies it in the logs.")

    /// What the framework's own errors (routing, body decoding) mean; a status Agora has no
    /// refusal for (none today) is kept as it is, never turned into a 500.
    private static func from(httpStatus status: HTTPResponse.Status, body: String?) -> Problem {
        switch status {
        case .notFound: Problem(.notFound())
        case .contentTooLarge: Problem(Refusal(.payloadTooLarge, "The request body is too large."))
        case .badRequest: Problem(Refusal(.malformedBody, body ?? "The request could not be read."))
        case .methodNotAllowed: Problem(Refusal(.methodNotAllowed, body))
        case .unsupportedMediaType: Problem(Refusal(.unsupportedMediaType, body))
        case .internalServerError: Problem(internalError)
        default: Problem(type: "/problems/http-\(status.code)", title: status.reasonPhrase, status: status.code, detail: body)
        }
    }

    private init(type: String, title: String, status: Int, detail: String?) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }

    /// The response carrying this problem.
    func response(requestID: String) -> Response {
        var problem = self
        problem.instance = "urn:agora:request:\(requestID)"
        let body = (try? APIJSON.encode(problem)) ?? Data(#"{"type":"/problems/internal-error","status":500}"#.utf8)
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// A request for a path the API serves, with a method it does not serve there: 405 with the
/// methods it does serve (`Allow`), rather than the router's 404.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext
    let routes: AccessControlledRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router found no route; handlers answer a missing object with a Problem instead.
            let allowed = routes.allowedMethods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            throw Refusal(.methodNotAllowed, "\(request.method) is not served at this path; it serves " + allowed.joined(separator: ", ") + ".",
                          allowed: allowed)
        }
    }
}

/// Turns every error — thrown by a handler, by the router (unknown route) or by body
/// decoding — into a problem+json answer, and logs what the client does not see.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AgoraRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem.from(error)
            if (error as? Refusal)?.code == .shuttingDown {
                // Every deploy drains: expected, not a failure.
                context.logger.info("refused while draining")
            } else if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            } else if DatabaseRefusals.refusal(for: error) != nil {
                context.logger.warning("constraint refused a request", metadata: ["error": "\(error)"])
            }
            var response = problem.response(requestID: context.requestID)
            response.headers[.requestID] = context.requestID
            if problem.status == 405, let allowed = problem.allowed {
                // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
                response.headers[.allow] = allowed.joined(separator: ", ")
            }
            if problem.status == 503 {
                // RFC 9110: when to come back. Nothing was changed, so a retry is safe.
                response.headers[.retryAfter] = "1"
            }
            if let limited = error as? RateLimited {
                // RFC 6585 §4: when the limit will let the next request through.
                response.headers[.retryAfter] = String(limited.retryAfter)
            }
            if problem.status == 401 {
                // RFC 6750: tell the client which scheme to use.
                response.headers[.wwwAuthenticate] = #"Bearer realm="agora""#
            }
            return response
        }
    }
}

/// The refusals of the HTTP layer itself, with their usual words.
extension Refusal {
    static func unauthenticated(_ detail: String = "This needs a valid token: `Authorization: Bearer agora_…`.") -> Refusal {
        Refusal(.unauthenticated, detail)
    }

    static func forbidden(_ detail: String = "Your account does not have a role that may do this.") -> Refusal {
        Refusal(.forbidden, detail)
    }

    static func payloadTooLarge(limit: Int) -> Refusal {
        Refusal(.payloadTooLarge, "The request body is larger than the limit of \(limit) bytes.")
    }

    static func malformedBody(_ detail: String) -> Refusal {
        Refusal(.malformedBody, detail)
    }

    static func unknownFields(_ fields: [String]) -> Refusal {
        Refusal(.unknownFields, "These fields are not accepted here: " + fields.joined(separator: ", ") + ".",
                errors: fields.map { FieldProblem(field: $0, message: "unknown field") })
    }
}
