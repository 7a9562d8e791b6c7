import Foundation
import Hummingbird
import Agora
import AgoraStore
import PostgresClient

/// An error answer in the shape of RFC 9457 (`application/problem+json`).
///
/// `type` is a stable identifier clients can branch on (`/problems/not-found`, …); `title`
/// is the same for every occurrence of the type; `detail` explains this occurrence.
public struct Problem: Error, Codable, Sendable, Equatable {
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

    /// Creates a problem.
    public init(type: String, title: String, status: HTTPResponse.Status, detail: String? = nil, errors: [FieldError]? = nil) {
        self.type = "/problems/" + type
        self.title = title
        self.status = status.code
        self.detail = detail
        self.errors = errors
    }

    static func notFound(_ detail: String = "There is nothing at this address.") -> Problem {
        Problem(type: "not-found", title: "Not found", status: .notFound, detail: detail)
    }

    static func payloadTooLarge(limit: Int) -> Problem {
        Problem(type: "payload-too-large", title: "Request body too large", status: .contentTooLarge,
                detail: "The request body is larger than the limit of \(limit) bytes.")
    }

    static func malformedBody(_ detail: String) -> Problem {
        Problem(type: "malformed-body", title: "Malformed request body", status: .badRequest, detail: detail)
    }

    static func unauthenticated(_ detail: String = "This needs a valid token: `Authorization: Bearer agora_…`.") -> Problem {
        Problem(type: "unauthenticated", title: "Authentication required", status: .unauthorized, detail: detail)
    }

    static func forbidden(_ detail: String = "Your account does not have a role that may do this.") -> Problem {
        Problem(type: "forbidden", title: "Forbidden", status: .forbidden, detail: detail)
    }

    static func validation(_ errors: [FieldError]) -> Problem {
        Problem(type: "validation", title: "Invalid request", status: .unprocessableContent,
                detail: "Some fields are not valid: " + errors.map(\.field).joined(separator: ", ") + ".", errors: errors)
    }

    static func unknownFields(_ fields: [String]) -> Problem {
        Problem(type: "unknown-fields", title: "Unknown fields", status: .badRequest,
                detail: "These fields are not accepted here: " + fields.joined(separator: ", ") + ".",
                errors: fields.map { FieldError(field: $0, message: "unknown field") })
    }

    static let databaseUnavailable = Problem(
        type: "database-unavailable", title: "Database unavailable", status: .serviceUnavailable,
        detail: "The database did not answer in time. Try again shortly."
    )

    static let busy = Problem(
        type: "database-busy", title: "Database busy", status: .serviceUnavailable,
        detail: "The change met concurrent changes or took too long and was not made. Try again shortly."
    )

    static let internalError = Problem(
        type: "internal-error", title: "Internal server error", status: .internalServerError,
        detail: "Something went wrong on our side. The request id identifies it in the logs."
    )

    /// The problem an error is answered with: the one place errors become HTTP answers.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as PostgresError where [.poolTimeout, .connectionFailed, .connectionLost, .poolClosed].contains(error.code):
            return .databaseUnavailable
        case let error as PostgresError where [.serializationFailure, .deadlockDetected, .statementTimeout, .lockNotAvailable].contains(error.code):
            // Contention that outlived the retries, or a statement that ran too long: try again.
            return .busy
        case let error as PostgresError where error.isConstraintViolation:
            // A constraint no check of ours caught: still the client's value, never a 500.
            return .validation([.init(field: error.constraintField, message: "is not valid")])
        case let problems as FieldProblems:
            return .validation(problems.problems.map { .init(field: $0.field, message: $0.message) })
        case let violation as FieldViolation:
            return .validation([.init(field: violation.field, message: violation.message)])
        case let error as HTTPError:
            return from(httpError: error)
        case let error as any HTTPResponseError:
            return from(httpError: HTTPError(error.status))
        default:
            return .internalError
        }
    }

    private static func from(httpError error: HTTPError) -> Problem {
        switch error.status {
        case .notFound: return .notFound()
        case .contentTooLarge: return .payloadTooLarge(limit: 0).withDetail("The request body is too large.")
        case .badRequest: return .malformedBody(error.body ?? "The request could not be read.")
        case .methodNotAllowed:
            return Problem(type: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed, detail: error.body)
        case .unsupportedMediaType:
            return Problem(type: "unsupported-media-type", title: "Unsupported media type", status: .unsupportedMediaType, detail: error.body)
        default:
            return Problem(type: "http-\(error.status.code)", title: error.status.reasonPhrase, status: error.status, detail: error.body)
        }
    }

    func withDetail(_ detail: String) -> Problem {
        var copy = self
        copy.detail = detail
        return copy
    }

    /// The response carrying this problem.
    func response(requestID: String) -> Response {
        var problem = self
        problem.instance = "urn:agora:request:\(requestID)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(problem)) ?? Data(#"{"type":"/problems/internal-error","status":500}"#.utf8)
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
            var problem = Problem(type: "method-not-allowed", title: "Method not allowed", status: .methodNotAllowed,
                                  detail: "\(request.method) is not served at this path; it serves " + allowed.joined(separator: ", ") + ".")
            problem.allowed = allowed
            throw problem
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
            if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            } else if error is PostgresError {
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
            if problem.status == 401 {
                // RFC 6750: tell the client which scheme to use.
                response.headers[.wwwAuthenticate] = #"Bearer realm="agora""#
            }
            return response
        }
    }
}
