/// A mailbox: an address and an optional display name.
public struct MailAddress: Sendable, Hashable {
    /// The bare address, `local@domain`, without angle brackets.
    public var address: String
    /// The display name; may hold any Unicode (it is encoded on the wire).
    public var name: String?

    /// Creates a mailbox, validating it (see ``validate()``).
    public init(_ address: String, name: String? = nil) throws {
        self.address = address
        self.name = name
        try validate()
    }

    /// Creates a mailbox without validating it; ``MailMessage`` validation checks it before sending.
    public init(unchecked address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Checks that the address is printable ASCII without spaces, `<`, `>`, `,`, `"` or controls,
    /// has exactly one `@` with text on both sides, and fits SMTP's limit; and that the name has no
    /// control characters. Non-ASCII addresses are refused: they would need SMTPUTF8, which this
    /// client does not speak. Throws an `.invalidMessage` ``SMTPError``.
    public func validate() throws {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty, bytes.count <= 254 else {
            throw SMTPError.invalidMessage("address '\(address)' is empty or longer than 254 octets")
        }
        let forbidden = Set("<>,\"\\ ()[];:".utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }) else {
            throw SMTPError.invalidMessage("address '\(address)' has a character that cannot appear in an address")
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw SMTPError.invalidMessage("address '\(address)' must have exactly one @ between a local part and a domain")
        }
        if let name, name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw SMTPError.invalidMessage("display name of '\(address)' has a control character")
        }
    }
}
