import SMTPClient
import Testing

@Suite("SMTP client") struct SMTPClientTests {}
