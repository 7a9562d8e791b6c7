import Hummingbird

/// The OpenAPI 3.1 description of the API, served at `GET /openapi.yaml`. Hand-written next
/// to the routes; `OpenAPIDocumentTests` fails when a route, its method or its access rule and
/// this document disagree.
public enum OpenAPIDocument {
    /// The document, YAML.
    public static let yaml = ##"""
openapi: 3.1.0
info:
  title: Agora
  version: "0.1"
  summary: Multi-stakeholder forums and public hearings.
  description: |
    Conventions: JSON with camelCase fields, times in ISO 8601 UTC, UUID identifiers.
    Errors are application/problem+json (RFC 9457) with a stable `type`. Lists take `limit`
    (1-200, default 50) and an opaque `cursor`, and answer `next`. Creating POSTs accept an
    `Idempotency-Key`. Single objects carry an `ETag`; PATCH honours `If-Match` (stale: 412).
    Unknown fields are refused (400) and invalid values answered 422 with `errors`.
    `x-agora-access` on each operation is the route's access rule, held to the server by a test.
servers:
  - url: http://127.0.0.1:8080
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: "`Authorization: Bearer agora_…`"
  parameters:
    id:
      name: id
      in: path
      required: true
      schema: {type: string, format: uuid}
    limit:
      name: limit
      in: query
      schema: {type: integer, minimum: 1, maximum: 200, default: 50}
    cursor:
      name: cursor
      in: query
      description: The `next` of the previous page.
      schema: {type: string}
    ifMatch:
      name: If-Match
      in: header
      description: The ETag read; a stale one is refused with 412.
      schema: {type: string}
    idempotencyKey:
      name: Idempotency-Key
      in: header
      description: Retries with the same key and body replay the first answer; another body is 422, a concurrent one 409.
      schema: {type: string, maxLength: 200}
  responses:
    Problem:
      description: An error (RFC 9457).
      content:
        application/problem+json:
          schema: {$ref: "#/components/schemas/Problem"}
    NoContent:
      description: Done.
  schemas:
    Problem:
      type: object
      required: [type, title, status]
      properties:
        type: {type: string, examples: [/problems/not-found]}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        instance: {type: string}
        allowed:
          type: array
          description: For a refused life-cycle move, the stages the issue may move to.
          items: {type: string}
        errors:
          type: array
          items:
            type: object
            required: [field, message]
            properties:
              field: {type: string}
              message: {type: string}
    Status:
      type: object
      properties:
        status: {type: string}
    Country:
      type: object
      properties:
        alpha2: {type: string}
        alpha3: {type: string}
        numericCode: {type: string}
        name: {type: string}
        region: {type: [string, "null"]}
        subRegion: {type: [string, "null"]}
        intermediateRegion: {type: [string, "null"]}
        developing: {type: boolean}
    Constituency:
      type: object
      properties:
        code: {type: string}
        name: {type: string}
    Organisation:
      type: object
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        country: {type: string}
        constituency: {type: string}
        accreditation: {type: [string, "null"]}
        accreditedOn: {type: [string, "null"], format: date}
        networks: {type: array, items: {type: string, format: uuid}}
        version: {type: integer}
        createdAt: {type: string, format: date-time}
        updatedAt: {type: string, format: date-time}
    OrganisationFields:
      type: object
      additionalProperties: false
      properties:
        name: {type: string}
        country: {type: string, description: ISO 3166-1 alpha-2}
        constituency: {type: string}
        accreditation: {type: [string, "null"]}
        accreditedOn: {type: [string, "null"], format: date}
    Network:
      type: object
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        constituency: {type: string}
        description: {type: string}
        website: {type: [string, "null"]}
        members: {type: integer, description: Derived from memberships.}
        version: {type: integer}
        createdAt: {type: string, format: date-time}
        updatedAt: {type: string, format: date-time}
    NetworkFields:
      type: object
      additionalProperties: false
      properties:
        name: {type: string}
        constituency: {type: string}
        description: {type: string}
        website: {type: [string, "null"]}
    Person:
      type: object
      description: languages, gender and email appear only for the secretariat and the person's own organisation.
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        organisation: {type: [string, "null"], format: uuid}
        country: {type: string}
        constituency: {type: [string, "null"]}
        languages: {type: array, items: {type: string}}
        gender: {type: [string, "null"], description: "Self-described: woman, man, another word; never required."}
        email: {type: [string, "null"]}
        version: {type: integer}
    PersonFields:
      type: object
      additionalProperties: false
      properties:
        name: {type: string}
        organisation: {type: [string, "null"], format: uuid}
        country: {type: string}
        languages: {type: array, items: {type: string}}
        gender: {type: [string, "null"]}
        email: {type: [string, "null"]}
    RoleGrant:
      type: object
      required: [role]
      properties:
        role: {type: string, enum: [secretariat, bureau, network, organisation, participant]}
        network: {type: string, format: uuid}
        organisation: {type: string, format: uuid}
        body: {type: string, minLength: 1, maxLength: 300, description: The intergovernmental body a bureau serves (required for bureau roles).}
    Account:
      type: object
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        email: {type: [string, "null"]}
        roles: {type: array, items: {$ref: "#/components/schemas/RoleGrant"}}
        disabledAt: {type: [string, "null"], format: date-time}
        createdAt: {type: string, format: date-time}
        version: {type: integer}
    Invitation:
      type: object
      properties:
        code: {type: string, description: "`agorainv_…`, shown once; redeem it at POST /account-invitations/redeem."}
        expiresAt: {type: string, format: date-time}
    Membership:
      type: object
      properties:
        network: {type: string, format: uuid}
        organisation: {type: string, format: uuid}
        status: {type: string, enum: [requested, accepted]}
    Token:
      type: object
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        createdAt: {type: string, format: date-time}
        expiresAt: {type: [string, "null"], format: date-time}
        lastUsedAt: {type: [string, "null"], format: date-time}
        revokedAt: {type: [string, "null"], format: date-time}
        token: {type: string, description: Only in the answer that creates it.}
    PolicyIssue:
      type: object
      properties:
        id: {type: string, format: uuid}
        slug: {type: string}
        title: {type: string}
        summary: {type: string}
        reportsTo: {type: string}
        goals: {type: array, items: {type: string}}
        stage: {type: string, enum: [emerging, norm_setting, implementation, review, closed]}
        version: {type: integer}
        createdAt: {type: string, format: date-time}
        updatedAt: {type: string, format: date-time}
    Forum:
      type: object
      properties:
        id: {type: string, format: uuid}
        issue: {type: string, format: uuid}
        kind: {type: string, enum: [round_table, conference, partnership, hearing]}
        title: {type: string}
        venue:
          type: object
          properties:
            name: {type: string}
            city: {type: string}
            country: {type: string}
            timeZone: {type: string}
        startsAt: {type: string, format: date-time}
        endsAt: {type: string, format: date-time}
        nominationsDeadline: {type: string, format: date-time}
        speakingSlots: {type: integer}
        speakingMinutes: {type: integer}
        participantCap: {type: integer}
        chair: {type: string}
        status: {type: string}
        acceptedCount: {type: integer, description: Invited people who accepted (round tables).}
        version: {type: integer}
        issueReportsTo: {type: string, description: The intergovernmental body the forum's issue reports to (its bureau sees the forum's drafts).}
        local:
          type: object
          description: The same times as read at the venue, with their offset.
          additionalProperties: {type: string}
    CommitmentFields:
      type: object
      additionalProperties: false
      description: organisation (a partner of the partnership), deliverable and due are required when recording.
      properties:
        organisation: {type: string, format: uuid}
        deliverable: {type: string}
        due: {type: string, format: date}
        status: {type: string, enum: [planned, on_track, delayed, done, dropped]}
        evidence: {type: [string, "null"], description: An http(s) link to the evidence.}
    RuleOverrides:
      type: object
      additionalProperties: false
      properties:
        rules:
          type: object
          additionalProperties: false
          description: "Laid over the forum kind's defaults: 2 per network, half from developing countries, gender balance; a hearing also 3 constituencies and at most 40 % from one, other forums 1 constituency and no share cap."
          properties:
            maxPerNetwork: {type: integer, minimum: 1, maximum: 10}
            minConstituencies: {type: integer, minimum: 0}
            maxConstituencyShare: {type: number, minimum: 0, maximum: 1}
            minDevelopingShare: {type: number, minimum: 0, maximum: 1}
            genderBalance: {type: boolean}
    AuditEntry:
      type: object
      properties:
        id: {type: integer}
        at: {type: string, format: date-time}
        account: {type: [string, "null"], format: uuid}
        tokenName: {type: [string, "null"]}
        actorRole: {type: [string, "null"], description: "The actor's role; public readers see only this, not the account."}
        action: {type: string}
        objectType: {type: string}
        objectID: {type: string}
        before: {type: [object, "null"]}
        after: {type: [object, "null"]}
        requestID: {type: [string, "null"]}
        isPublic: {type: boolean}
paths:
  /healthz:
    get:
      summary: The process answers (no database).
      x-agora-access: everyone
      responses:
        "200": {description: Alive., content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}}
  /readyz:
    get:
      summary: The database answers too.
      x-agora-access: everyone
      responses:
        "200": {description: Ready., content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}}
        "503": {$ref: "#/components/responses/Problem"}
  /metrics:
    get:
      summary: Prometheus metrics.
      x-agora-access: everyone
      responses:
        "200": {description: Prometheus text format., content: {text/plain: {schema: {type: string}}}}
  /openapi.yaml:
    get:
      summary: This document.
      x-agora-access: everyone
      responses:
        "200": {description: OpenAPI 3.1., content: {application/yaml: {schema: {type: string}}}}
  /countries:
    get:
      summary: Every country with its M49 region and developing flag.
      x-agora-access: everyone
      responses:
        "200": {description: Countries.}
  /countries/{code}:
    parameters:
      - {name: code, in: path, required: true, schema: {type: string}}
    get:
      summary: One country.
      x-agora-access: everyone
      responses:
        "200": {description: The country., content: {application/json: {schema: {$ref: "#/components/schemas/Country"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change whether a country counts as developing.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema: {type: object, additionalProperties: false, required: [developing], properties: {developing: {type: boolean}}}
      responses:
        "200": {description: The country.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /constituencies:
    get:
      summary: The constituencies (major groups).
      x-agora-access: everyone
      responses:
        "200": {description: Constituencies.}
    post:
      summary: Add a constituency.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Constituency"}
      responses:
        "201": {description: Added.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /organisations:
    get:
      summary: Organisations by name.
      x-agora-access: everyone
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
        - {name: country, in: query, schema: {type: string}}
        - {name: constituency, in: query, schema: {type: string}}
      responses:
        "200": {description: A page of organisations.}
        "400": {$ref: "#/components/responses/Problem"}
    post:
      summary: Create an organisation.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/OrganisationFields"}
      responses:
        "201": {description: Created., content: {application/json: {schema: {$ref: "#/components/schemas/Organisation"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /organisations/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One organisation.
      x-agora-access: everyone
      responses:
        "200": {description: The organisation (with ETag)., content: {application/json: {schema: {$ref: "#/components/schemas/Organisation"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change an organisation (its contacts may change its name only).
      x-agora-access: organisation, secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/ifMatch"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/OrganisationFields"}
      responses:
        "200": {description: Changed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /organisations/{id}/people:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The people of an organisation.
      x-agora-access: everyone
      responses:
        "200": {description: People.}
  /networks:
    get:
      summary: Networks by name.
      x-agora-access: everyone
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
        - {name: constituency, in: query, schema: {type: string}}
      responses:
        "200": {description: A page of networks.}
    post:
      summary: Create a network.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NetworkFields"}
      responses:
        "201": {description: Created., content: {application/json: {schema: {$ref: "#/components/schemas/Network"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /networks/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One network.
      x-agora-access: everyone
      responses:
        "200": {description: The network (with ETag)., content: {application/json: {schema: {$ref: "#/components/schemas/Network"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change a network (its focal points may change description and website).
      x-agora-access: secretariat, network
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/ifMatch"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NetworkFields"}
      responses:
        "200": {description: Changed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /networks/{id}/members:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The member organisations.
      x-agora-access: everyone
      responses:
        "200": {description: Organisations.}
  /networks/{id}/members/{organisation}:
    parameters:
      - {$ref: "#/components/parameters/id"}
      - {name: organisation, in: path, required: true, schema: {type: string, format: uuid}}
    put:
      summary: A focal point asks the organisation to join (202, counts nowhere until accepted; another constituency is 422); the secretariat admits it at once (200).
      x-agora-access: secretariat, network
      security: [{bearer: []}]
      responses:
        "200": {description: A member., content: {application/json: {schema: {$ref: "#/components/schemas/Membership"}}}}
        "202": {description: Requested., content: {application/json: {schema: {$ref: "#/components/schemas/Membership"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
    delete:
      summary: Either side ends a membership or withdraws (declines) a request.
      x-agora-access: secretariat, network, organisation
      security: [{bearer: []}]
      responses:
        "204": {$ref: "#/components/responses/NoContent"}
        "4XX": {$ref: "#/components/responses/Problem"}
  /networks/{id}/members/{organisation}/acceptance:
    parameters:
      - {$ref: "#/components/parameters/id"}
      - {name: organisation, in: path, required: true, schema: {type: string, format: uuid}}
    post:
      summary: The organisation's contact (or the secretariat) accepts the network's request.
      x-agora-access: secretariat, organisation
      security: [{bearer: []}]
      responses:
        "200": {description: A member., content: {application/json: {schema: {$ref: "#/components/schemas/Membership"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /membership-requests:
    get:
      summary: Pending membership requests (all for the secretariat; else those of the caller's networks and organisations).
      x-agora-access: authenticated
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: A page of requests.}
        "401": {$ref: "#/components/responses/Problem"}
  /people:
    post:
      summary: Register a person (an organisation's contacts, for their own organisation).
      x-agora-access: organisation, secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/PersonFields"}
      responses:
        "201": {description: Registered., content: {application/json: {schema: {$ref: "#/components/schemas/Person"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /people/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One person; personal data only for those who may see it.
      x-agora-access: everyone
      responses:
        "200": {description: The person., content: {application/json: {schema: {$ref: "#/components/schemas/Person"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change a person.
      x-agora-access: organisation, secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/ifMatch"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/PersonFields"}
      responses:
        "200": {description: Changed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts:
    post:
      summary: Create an account with roles.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [name, roles]
              properties:
                name: {type: string}
                email: {type: [string, "null"]}
                roles: {type: array, items: {$ref: "#/components/schemas/RoleGrant"}}
      responses:
        "201": {description: "Created, with a one-time invitation code (`invitation.code`) that the holder redeems for a first token."}
        "4XX": {$ref: "#/components/responses/Problem"}
    get:
      summary: Every account with its roles.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: A page of accounts.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One account with its roles (with ETag).
      x-agora-access: secretariat
      security: [{bearer: []}]
      responses:
        "200": {description: The account., content: {application/json: {schema: {$ref: "#/components/schemas/Account"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change name, e-mail, roles, or disable (every token stops on every server within about a second); If-Match.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                name: {type: string}
                email: {type: [string, "null"]}
                roles: {type: array, items: {$ref: "#/components/schemas/RoleGrant"}}
                disabled: {type: boolean}
      responses:
        "200": {description: The account., content: {application/json: {schema: {$ref: "#/components/schemas/Account"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts/{id}/invitations:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: A new invitation code for the account (shown once); the previous one stops working.
      x-agora-access: secretariat
      security: [{bearer: []}]
      responses:
        "201": {description: The invitation., content: {application/json: {schema: {$ref: "#/components/schemas/Invitation"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts/{id}/tokens:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: An account's tokens (never their secrets).
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: A page of tokens.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts/{id}/tokens/{token}:
    parameters:
      - {$ref: "#/components/parameters/id"}
      - {name: token, in: path, required: true, schema: {type: string, format: uuid}}
    delete:
      summary: Revoke any account's token.
      x-agora-access: secretariat
      security: [{bearer: []}]
      responses:
        "204": {$ref: "#/components/responses/NoContent"}
        "4XX": {$ref: "#/components/responses/Problem"}
  /account-invitations/redeem:
    post:
      summary: Exchange an invitation code for the account's first token (shown once). A wrong, used or expired code is 401.
      x-agora-access: everyone
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [code, tokenName]
              properties:
                code: {type: string, minLength: 1, maxLength: 200}
                tokenName: {type: string, minLength: 1, maxLength: 200}
      responses:
        "201": {description: The token., content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /accounts/me:
    get:
      summary: The caller's account and roles.
      x-agora-access: authenticated
      security: [{bearer: []}]
      responses:
        "200": {description: The account.}
        "401": {$ref: "#/components/responses/Problem"}
  /tokens:
    get:
      summary: The caller's tokens (never their secrets).
      x-agora-access: authenticated
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: A page of tokens.}
        "401": {$ref: "#/components/responses/Problem"}
    post:
      summary: Create a token for the caller's account; its secret is shown once.
      x-agora-access: authenticated
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [name]
              properties:
                name: {type: string}
                expiresAt: {type: string, format: date-time}
      responses:
        "201": {description: Created., content: {application/json: {schema: {$ref: "#/components/schemas/Token"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /tokens/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    delete:
      summary: Revoke one of the caller's tokens (every server refuses it within about a second).
      x-agora-access: authenticated
      security: [{bearer: []}]
      responses:
        "204": {$ref: "#/components/responses/NoContent"}
        "404": {$ref: "#/components/responses/Problem"}
  /issues:
    get:
      summary: Policy issues by slug.
      x-agora-access: everyone
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: A page of issues.}
    post:
      summary: Create a policy issue (at the emerging stage).
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [slug, title, reportsTo]
              properties:
                slug: {type: string, pattern: "^[a-z0-9]+(-[a-z0-9]+)*$"}
                title: {type: string}
                summary: {type: string}
                reportsTo: {type: string, description: The intergovernmental body the issue reports to.}
                goals: {type: array, items: {type: string}}
      responses:
        "201": {description: Created., content: {application/json: {schema: {$ref: "#/components/schemas/PolicyIssue"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /issues/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One policy issue.
      x-agora-access: everyone
      responses:
        "200": {description: The issue (with ETag)., content: {application/json: {schema: {$ref: "#/components/schemas/PolicyIssue"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change the title, summary, body (reportsTo) or goals; not once closed; If-Match.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                title: {type: string}
                summary: {type: string}
                reportsTo: {type: string}
                goals: {type: array, items: {type: string}}
      responses:
        "200": {description: The issue., content: {application/json: {schema: {$ref: "#/components/schemas/PolicyIssue"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /issues/{id}/history:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The issue's transitions, oldest first (who, when, why, from, to).
      x-agora-access: everyone
      responses:
        "200": {description: The history.}
        "404": {$ref: "#/components/responses/Problem"}
  /issues/{id}/transitions:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Move the issue to another stage of its life cycle.
      description: A move outside the cycle is 409 naming the allowed moves (`allowed`); leaving a stage whose forum is not concluded is 409; a missing reason is 422.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [to, reason]
              properties:
                to: {type: string, enum: [emerging, norm_setting, implementation, review, closed]}
                reason: {type: string}
      responses:
        "200": {description: Moved., content: {application/json: {schema: {$ref: "#/components/schemas/PolicyIssue"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /issues/{id}/forums:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The issue's forums by start; drafts only for the secretariat and the bureau.
      x-agora-access: everyone
      responses:
        "200": {description: Forums.}
    post:
      summary: Create a draft forum of the issue.
      description: Times are ISO 8601 instants, or readings in the venue's time zone without an offset (2027-03-28T17:00), converted across daylight-saving changes. A round table gets a participant cap of 40 unless given; a hearing needs its chair.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [kind, title, venue, startsAt, endsAt]
              properties:
                kind: {type: string, enum: [round_table, conference, partnership, hearing]}
                title: {type: string}
                venue:
                  type: object
                  required: [name, city, country, timeZone]
                  properties:
                    name: {type: string}
                    city: {type: string}
                    country: {type: string}
                    timeZone: {type: string, examples: [Europe/Zurich]}
                startsAt: {type: string}
                endsAt: {type: string}
                nominationsDeadline: {type: string}
                speakingSlots: {type: integer, minimum: 1}
                speakingMinutes: {type: integer, minimum: 1}
                participantCap: {type: integer, minimum: 1}
                chair: {type: string}
      responses:
        "201": {description: Created., content: {application/json: {schema: {$ref: "#/components/schemas/Forum"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One forum (a draft only for the secretariat and the bureau).
      x-agora-access: everyone
      responses:
        "200": {description: The forum., content: {application/json: {schema: {$ref: "#/components/schemas/Forum"}}}}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: "Change the fields that still fit the forum's status: speaking slots, minutes and deadline until nominations close; venue and times until the agenda is published; title, cap and chair until concluded. If-Match."
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                title: {type: string}
                venue: {type: object}
                startsAt: {type: string}
                endsAt: {type: string}
                nominationsDeadline: {type: [string, "null"]}
                speakingSlots: {type: [integer, "null"]}
                speakingMinutes: {type: [integer, "null"]}
                participantCap: {type: [integer, "null"]}
                chair: {type: [string, "null"]}
      responses:
        "200": {description: The forum., content: {application/json: {schema: {$ref: "#/components/schemas/Forum"}}}}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/status:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Move the forum to its next status; a wrong one is 409 naming the allowed ones.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [to]
              properties:
                to: {type: string, enum: [draft, announced, nominations_open, nominations_closed, agenda_published, held, concluded]}
      responses:
        "200": {description: Moved.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/outcome:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The recorded outcome of a concluded forum; a hearing's once its proceedings are transmitted (before, for the secretariat and the bureau).
      x-agora-access: everyone
      responses:
        "200": {description: The outcome.}
        "404": {$ref: "#/components/responses/Problem"}
    post:
      summary: Conclude a held forum with its outcome.
      description: "round_table: summary. conference: summary, targets (a list of {text, indicator, due}), norms (a list of texts). partnership: progressReport. hearing: summary, statements (a list of {speaker, organisation, constituency, text}), recommendations (a list of {kind: recommendation or course_correction, text}); the constituency breakdown is derived from the statements."
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "200": {description: Concluded.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/invitations:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: A round table's invitations; an organisation sees its own people's only.
      x-agora-access: bureau, organisation, secretariat
      security: [{bearer: []}]
      responses:
        "200": {description: Invitations by name.}
    post:
      summary: Invite a person to a round table (until it is held).
      description: Other kinds of forum take registrations (409 wrong-participation-mode); inviting someone twice is 409 already-participating.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [person]
              properties:
                person: {type: string, format: uuid}
      responses:
        "201": {description: Invited.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /invitations/{id}/answer:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Accept or decline an invitation, for the person (their organisation) or by the secretariat.
      description: When every place under the round table's cap is taken, accepting is 409 participant-cap-reached; the database holds the cap under concurrent acceptances.
      x-agora-access: organisation, secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [answer]
              properties:
                answer: {type: string, enum: [accept, decline]}
      responses:
        "200": {description: Answered.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/registrations:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: A forum's registrations; an organisation sees its own only.
      x-agora-access: bureau, organisation, secretariat
      security: [{bearer: []}]
      responses:
        "200": {description: Registrations by name.}
    post:
      summary: Register one of your organisation's people for a conference, partnership or hearing (from its announcement until it is held).
      description: A person registered twice is 409 already-participating.
      x-agora-access: organisation, secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [person]
              properties:
                person: {type: string, format: uuid}
      responses:
        "201": {description: Registered.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /registrations/{id}/approval:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Approve a registration.
      x-agora-access: secretariat
      security: [{bearer: []}]
      responses:
        "200": {description: Approved.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/partners:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: A partnership's partner organisations and their roles.
      x-agora-access: everyone
      responses:
        "200": {description: Partners.}
    post:
      summary: Add a partner organisation to a partnership.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [organisation, role]
              properties:
                organisation: {type: string, format: uuid}
                role: {type: string}
      responses:
        "201": {description: Added.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/commitments:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: A partnership's commitments by due date.
      x-agora-access: everyone
      responses:
        "200": {description: Commitments.}
    post:
      summary: Record a partner's commitment.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommitmentFields"}
      responses:
        "201": {description: Recorded.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /commitments/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One commitment.
      x-agora-access: everyone
      responses:
        "200": {description: The commitment.}
        "404": {$ref: "#/components/responses/Problem"}
    patch:
      summary: Change a commitment's status, evidence, deliverable or due date.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/ifMatch"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                deliverable: {type: string}
                due: {type: string, format: date}
                status: {type: string, enum: [planned, on_track, delayed, done, dropped]}
                evidence: {type: [string, "null"], description: An http(s) link; null removes it.}
      responses:
        "200": {description: Changed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/proceedings:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: A concluded hearing's proceedings with the partnership commitments as evidence; public once transmitted.
      x-agora-access: everyone
      responses:
        "200": {description: The proceedings.}
        "404": {$ref: "#/components/responses/Problem"}
  /forums/{id}/proceedings.html:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The proceedings as a printable HTML page; public once transmitted.
      x-agora-access: everyone
      responses:
        "200": {description: The page., content: {text/html: {}}}
        "404": {$ref: "#/components/responses/Problem"}
  /forums/{id}/transmission:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: Where and when the hearing's proceedings were transmitted, and the acknowledgement.
      x-agora-access: everyone
      responses:
        "200": {description: The transmission.}
        "404": {$ref: "#/components/responses/Problem"}
    post:
      summary: Record the transmission of a concluded hearing's proceedings to the issue's intergovernmental body (once).
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [documentReference, transmittedOn]
              properties:
                documentReference: {type: string, examples: [E/2027/L.12]}
                transmittedOn: {type: string, format: date}
      responses:
        "201": {description: Recorded.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/transmission/acknowledgement:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Record the body's acknowledgement of receipt.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [acknowledgedOn, acknowledgement]
              properties:
                acknowledgedOn: {type: string, format: date}
                acknowledgement: {type: string}
      responses:
        "200": {description: Recorded.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/nominations:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The forum's active nominations.
      description: Before the deadline a network focal point sees its own networks' nominations (the secretariat and the bureau all, anyone else none); after it everyone reads name, organisation, country, network, constituency and rank, without statements or contact data.
      x-agora-access: everyone
      responses:
        "200": {description: Nominations by network and rank.}
    post:
      summary: A network nominates a person while nominations are open and before the deadline.
      description: "409: nominations-closed, rank-taken, already-nominated, committee-member. 403 not-your-network when the caller is not the network's focal point."
      x-agora-access: network
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [network, person, rank, statement]
              properties:
                network: {type: string, format: uuid}
                person: {type: string, format: uuid}
                rank: {type: integer, minimum: 1, maximum: 25, description: 1 is the network's first choice.}
                statement: {type: string, maxLength: 2000, description: Statement of expertise.}
      responses:
        "201": {description: Nominated.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /nominations/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    patch:
      summary: Change the rank (swapping with the nomination that held it) or the statement, before the deadline.
      x-agora-access: network
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/ifMatch"}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                rank: {type: integer, minimum: 1, maximum: 25}
                statement: {type: string, maxLength: 2000}
      responses:
        "200": {description: Changed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /nominations/{id}/withdrawal:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Withdraw a nomination before the deadline.
      x-agora-access: network
      security: [{bearer: []}]
      responses:
        "200": {description: Withdrawn.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/committee:
    parameters:
      - {$ref: "#/components/parameters/id"}
    put:
      summary: Name the accounts of the forum's selection committee; people linked to them cannot be nominated.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [accounts]
              properties:
                accounts: {type: array, items: {type: string, format: uuid}}
      responses:
        "200": {description: The committee.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/selection/preview:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Run the solver on the active nominations without keeping the result.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/RuleOverrides"}
      responses:
        "200": {description: "The solver's result (selected, reserves, relaxed, objective, decisions) and the applied rules."}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/selection:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Run the solver once nominations are closed and keep the result as the forum's next slate version.
      x-agora-access: secretariat
      security: [{bearer: []}]
      parameters:
        - {$ref: "#/components/parameters/idempotencyKey"}
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/RuleOverrides"}
      responses:
        "201": {description: The slate.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /forums/{id}/slate:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: The forum's approved slate (the latest version for the secretariat and the bureau) with balance figures, relaxed rules, overrides and every decision.
      x-agora-access: everyone
      responses:
        "200": {description: The slate.}
        "404": {$ref: "#/components/responses/Problem"}
  /slates/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      summary: One slate version (approved ones for everyone).
      x-agora-access: everyone
      responses:
        "200": {description: The slate.}
        "404": {$ref: "#/components/responses/Problem"}
  /slates/{id}/overrides:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: Put a nomination in a speaker's place, with a justification recorded as a public audit entry.
      x-agora-access: secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [out, in, justification]
              properties:
                out: {type: string, format: uuid}
                in: {type: string, format: uuid}
                justification: {type: string, maxLength: 2000}
      responses:
        "200": {description: "The slate, showing the override and whether the rules still hold."}
        "4XX": {$ref: "#/components/responses/Problem"}
  /slates/{id}/review:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      summary: The bureau approves the slate (chosen speakers are asked to confirm) or returns it with a comment.
      description: A hearing's slate with fewer than three constituencies is 409 too-few-constituencies.
      x-agora-access: bureau
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [decision]
              properties:
                decision: {type: string, enum: [approve, return]}
                comment: {type: string, maxLength: 5000}
      responses:
        "200": {description: Reviewed.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /slates/{id}/speakers/{nomination}/answer:
    parameters:
      - {$ref: "#/components/parameters/id"}
      - {name: nomination, in: path, required: true, schema: {type: string, format: uuid}}
    post:
      summary: A chosen speaker confirms or declines (through their network's focal point, or the secretariat); a decline gives the place to the first reserve that keeps the rules.
      x-agora-access: network, secretariat
      security: [{bearer: []}]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [answer]
              properties:
                answer: {type: string, enum: [confirm, decline]}
      responses:
        "200": {description: The slate.}
        "4XX": {$ref: "#/components/responses/Problem"}
  /audit:
    get:
      summary: The audit log; everything for the secretariat, public entries for others.
      x-agora-access: everyone
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
        - {name: objectType, in: query, schema: {type: string}}
        - {name: objectId, in: query, schema: {type: string}}
        - {name: account, in: query, description: "The secretariat only (public entries name roles, not accounts): 400 for others.", schema: {type: string, format: uuid}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
      responses:
        "200": {description: A page of entries.}
        "400": {$ref: "#/components/responses/Problem"}
"""##
}

struct OpenAPIController {
    func addRoutes(to routes: AccessControlledRoutes) {
        routes.get("/openapi.yaml", rule: .everyone) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
    }
}
