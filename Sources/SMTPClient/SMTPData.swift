/// The DATA payload (RFC 5321 4.5.2 and 4.1.1.4).
enum SMTPData {
    /// The message as sent after DATA's 354: every line ending normalised to CRLF, a "." doubled at
    /// the start of any line (so no line of the message can end the data early), a final CRLF if
    /// the message lacked one, then the terminating ".".
    static func payload(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == 0x0D || byte == 0x0A {
                output += [0x0D, 0x0A]
                index += (byte == 0x0D && index + 1 < message.count && message[index + 1] == 0x0A) ? 2 : 1
                atLineStart = true
                continue
            }
            if atLineStart && byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(byte)
            atLineStart = false
            index += 1
        }
        if !atLineStart || output.isEmpty { output += [0x0D, 0x0A] }
        output += Array(".\r\n".utf8)
        return output
    }
}
