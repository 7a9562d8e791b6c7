import NIOCore

/// Splits the server's byte stream into lines ending in CRLF (the CRLF removed).
///
/// A line longer than ``maximumLineLength`` is refused, so a hostile or broken server cannot
/// make the client buffer without bound. It is a class so the session can ask, right after the
/// 220 reply to STARTTLS, whether any bytes followed it in clear (RFC 3207 5 / CVE-2011-0411:
/// such bytes would be read as if they came over TLS).
final class SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// RFC 5321 4.5.3.1.5 allows reply lines of 512 octets; real servers stay well within 4096.
    static let maximumLineLength = 4096

    /// Bytes received but not yet part of a complete line, as of the last decode.
    private(set) var unprocessedBytes = 0

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        defer { unprocessedBytes = buffer.readableBytes }
        let view = buffer.readableBytesView
        guard let lineFeed = view.firstIndex(of: UInt8(ascii: "\n")) else {
            guard buffer.readableBytes <= Self.maximumLineLength else { throw SMTPError.protocolViolation(lineTooLong) }
            return .needMoreData
        }
        let length = lineFeed - view.startIndex
        guard length <= Self.maximumLineLength else { throw SMTPError.protocolViolation(lineTooLong) }
        guard length > 0, view[lineFeed - 1] == UInt8(ascii: "\r") else {
            throw SMTPError.protocolViolation("server sent a line ending in a bare LF")
        }
        let line = buffer.readSlice(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial line at close is dropped: the connection is gone and the reply incomplete.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    private var lineTooLong: String { "server sent a line longer than \(Self.maximumLineLength) octets" }
}

@available(*, unavailable)
extension SMTPLineDecoder: Sendable {}
