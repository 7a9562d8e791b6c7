#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the SMTPClient tests.

Prints the port it bound as its first stdout line (flushed), so a test waits on that line rather
than on a sleep. Each accepted message is written to MAILDIR/<n>.eml, decoded into MAILDIR/<n>.decoded (JSON:
subject, addresses, headers, text and HTML parts), with MAILDIR/<n>.json beside it: the envelope, whether the session was under TLS, the authenticated user, and which connection
carried it. Every command verb received is appended to MAILDIR/commands.log ("<connection> <VERB>",
never arguments, so no credentials), so a test can tell that a command (AUTH) was never sent.

The server stops when its standard input closes (the test that started it is gone) or after
--lifetime seconds, whichever comes first.

Requires aiosmtpd 1.4.6 and atpublic 9.0.0 (scripts/test-tools-requirements.txt).
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--maildir", required=True, help="directory for <n>.eml, <n>.json and commands.log")
    parser.add_argument("--tls-cert", help="PEM certificate: enables STARTTLS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--require-tls", action="store_true", help="refuse commands other than EHLO/STARTTLS before TLS")
    parser.add_argument("--auth", help="user:pass accepted by AUTH (offered only under TLS unless --auth-without-tls)")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN", help="comma-separated subset of PLAIN,LOGIN to offer")
    parser.add_argument("--auth-without-tls", action="store_true", help="offer AUTH on an unencrypted connection too")
    parser.add_argument("--reject-rcpt", action="append", default=[], help="answer 550 to RCPT TO this address (repeatable)")
    parser.add_argument("--tempfail-first", type=int, default=0, help="answer 451 to the first N commands named by --tempfail-at")
    parser.add_argument("--tempfail-at", choices=["mail", "data"], default="mail", help="which command --tempfail-first answers")
    parser.add_argument("--close-after", type=int, default=0,
                        help="after N messages on a connection, answer the next RSET or MAIL with 421 and close")
    parser.add_argument("--stall", action="store_true", help="accept connections and never say anything")
    parser.add_argument("--hostile", choices=sorted(HOSTILE), help="misbehave: " + "; ".join(
        f"{name}: {text}" for name, (text, _) in sorted(HOSTILE.items())))
    parser.add_argument("--lifetime", type=float, default=300, help="exit after this many seconds")
    parser.add_argument("--reuse-port", action="store_true",
                        help="bind with SO_REUSEPORT, so several servers (each with its own --maildir) share one port and the"
                             " kernel spreads connections over them (bench/notices: one Python event loop cannot keep up)")
    parser.add_argument("--no-decode", action="store_true",
                        help="write no <n>.decoded (bench/notices counts messages and reads none: decoding each in the server's"
                             " one event loop would measure Python's email package rather than the sender)")
    return parser.parse_args()


def decode(content):
    """The message as the notice tests read it, decoded by the `email` package here, as it
    arrives, so a test reads JSON rather than starting a process of its own to decode it."""
    try:
        m = email.message_from_bytes(content, policy=email.policy.default)
        text = m.get_body(("plain",))
        html = m.get_body(("html",))
        return {"subject": str(m["subject"]), "to": str(m["to"]), "from": str(m["from"]), "messageID": str(m["message-id"]),
                "listUnsubscribe": m["list-unsubscribe"] and str(m["list-unsubscribe"]),
                "listUnsubscribePost": m["list-unsubscribe-post"] and str(m["list-unsubscribe-post"]),
                "contentLanguage": m["content-language"] and str(m["content-language"]),
                "text": text.get_content() if text else "", "html": html.get_content() if html else None}
    except Exception as error:  # a hostile test's message: say so rather than stop the server
        return {"subject": "", "to": "", "from": "", "messageID": "", "text": f"undecodable: {error}", "html": None}


class State:
    """What the server counts across connections."""

    def __init__(self, args):
        self.args = args
        self.connections = 0
        self.messages = 0
        self.tempfails = 0
        os.makedirs(args.maildir, exist_ok=True)
        self.log = open(os.path.join(args.maildir, "commands.log"), "a", buffering=1)


class RecordingSMTP(SMTP):
    """An aiosmtpd SMTP that numbers its connection and logs every command verb."""

    def __init__(self, state, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = state
        state.connections += 1
        self.connection_number = state.connections
        self.messages_here = 0
        self._smtp_methods = {
            name: self._logged(name, method) for name, method in self._smtp_methods.items()
        }

    def _logged(self, name, method):
        async def wrapper(arg):
            self.state.log.write(f"{self.connection_number} {name}\n")
            return await method(arg)
        return wrapper


class Handler:
    def __init__(self, state):
        self.state = state

    def _closing(self, server):
        limit = self.state.args.close_after
        if limit and server.messages_here >= limit:
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.4.2 closing after %d messages" % limit
        return None

    async def handle_RSET(self, server, session, envelope):
        return self._closing(server) or "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        closing = self._closing(server)
        if closing:
            return closing
        if self.state.args.tempfail_at == "mail" and self.state.tempfails < self.state.args.tempfail_first:
            self.state.tempfails += 1
            return "451 4.3.0 try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in (a.lower() for a in self.state.args.reject_rcpt):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.state.args.tempfail_at == "data" and self.state.tempfails < self.state.args.tempfail_first:
            self.state.tempfails += 1
            return "451 4.3.0 try again later"
        self.state.messages += 1
        server.messages_here += 1
        number = self.state.messages
        base = os.path.join(self.state.args.maildir, str(number))
        with open(base + ".eml", "wb") as eml:
            eml.write(envelope.content)
        if not self.state.args.no_decode:
            with open(base + ".decoded.tmp", "w") as decoded:
                json.dump(decode(envelope.content), decoded)
            os.replace(base + ".decoded.tmp", base + ".decoded")
        sidecar = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "tls": session.ssl is not None,
            "auth_user": session.auth_data if session.authenticated else None,
            "connection": server.connection_number,
            "connections": self.state.connections,
            "message_on_connection": server.messages_here,
        }
        with open(base + ".json.tmp", "w") as side:
            json.dump(sidecar, side)
        os.replace(base + ".json.tmp", base + ".json")
        return "250 2.0.0 accepted as %d" % number


def make_authenticator(credentials):
    user, _, password = credentials.partition(":")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password
        # handled=False: aiosmtpd itself answers 535 on failure.
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return authenticator


def make_factory(args, state, loop):
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
    offered = {m.strip().upper() for m in args.auth_mechanisms.split(",") if m.strip()}
    kwargs = dict(
        hostname="smtp-test.invalid",
        tls_context=tls_context,
        require_starttls=args.require_tls,
        auth_require_tls=not args.auth_without_tls,
        auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in offered],
        authenticator=make_authenticator(args.auth) if args.auth else None,
        loop=loop,
    )
    if not args.auth:
        # No AUTH mechanism at all: exclude both so EHLO does not advertise AUTH.
        kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
    return lambda: RecordingSMTP(state, Handler(state), **kwargs)


HOSTILE = {
    "long-line": ("greet with a 10000-octet line", [b"220 " + b"x" * 10000 + b"\r\n"]),
    "bare-lf": ("greet with a line ending in LF alone", [b"220 hello\n"]),
    "mixed-codes": ("answer EHLO with lines of different codes",
                    [b"220 hello\r\n", b"250-smtp-test.invalid\r\n251 HELP\r\n"]),
    "starttls-injection": ("offer STARTTLS, then send a whole reply in clear right after its 220 (CVE-2011-0411)",
                           [b"220 hello\r\n", b"250-smtp-test.invalid\r\n250 STARTTLS\r\n",
                            b"220 go ahead\r\n250 injected\r\n"]),
    "starttls-partial-injection": ("as starttls-injection, but the clear text after the 220 is half a line",
                                   [b"220 hello\r\n", b"250-smtp-test.invalid\r\n250 STARTTLS\r\n",
                                    b"220 go ahead\r\n250-inj"]),
}


class Hostile(asyncio.Protocol):
    """--hostile: sends its scripted lines, one batch at connect and one per line received."""

    def __init__(self, batches):
        self.batches = list(batches)

    def connection_made(self, transport):
        self.transport = transport
        self._next()

    def data_received(self, data):
        for _ in range(data.count(b"\n")):
            self._next()

    def _next(self):
        if self.batches:
            self.transport.write(self.batches.pop(0))


class Silent(asyncio.Protocol):
    """--stall: takes the connection and never answers."""

    def data_received(self, data):
        pass


def watch_stdin(loop, stop):
    """Stops the server when the test's end of our stdin closes."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        loop.call_soon_threadsafe(stop.set)


async def main():
    args = parse_args()
    loop = asyncio.get_running_loop()
    state = State(args)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    if args.stall:
        factory = Silent
    elif args.hostile:
        factory = lambda: Hostile(HOSTILE[args.hostile][1])  # noqa: E731
    else:
        factory = make_factory(args, state, loop)
    server = await loop.create_server(factory, host="127.0.0.1", port=args.port, reuse_port=args.reuse_port or None)
    print(server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    threading.Thread(target=watch_stdin, args=(loop, stop), daemon=True).start()
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
