#!/usr/bin/env python3
"""The load and the checks of scripts/scale-check.sh (two `agora serve` behind nginx, two
schedulers). Standard library only (http.client and threads), so any Python 3 runs it.

  scale-load.py setup BASE TOKEN RECEIVER STATE      makes the dataset through BASE (nginx) as the
                                                     secretariat; writes the ids and tokens as JSON to STATE
  scale-load.py load BASE STATE SECONDS EVENTS OUT   the mixed load for SECONDS; EVENTS (a file the
                                                     caller appends "name epoch" lines to) is only read
                                                     back for the report; writes the counts as JSON to OUT
  scale-load.py revocation A B STATE                 a token revoked through server A is refused by B:
                                                     prints the latency in ms
  scale-load.py cache A B STATE                      a publish through A changes B's cached agenda:
                                                     prints the latency in ms

Every loop is bounded by a count and by time. Setup fails (exit 1) on any unexpected answer;
the load only counts answers, the caller judges them.
"""

import datetime
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

TIMEOUT = 15

# POSTs sent again with their Idempotency-Key after nginx answered 502 or the connection to it
# dropped: [epoch, path, first status]. API clients are told to retry so; the check counts them.
RETRIED_POSTS = []
RETRIED_LOCK = threading.Lock()


class Client:
    """One keep-alive HTTP/1.1 connection to BASE, reopened after any error."""

    def __init__(self, base, token=None):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.connection = None

    def request(self, method, path, body=None, token=None, headers=None):
        """(status, headers dict lower-cased, parsed body or raw bytes); status 0 on a transport error."""
        all_headers = {"Accept": "application/json"}
        token = token or self.token
        if token:
            all_headers["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        if method == "POST" and token:
            # Every creating request carries a key, so it can be sent again safely.
            all_headers["Idempotency-Key"] = str(uuid.uuid4())
        all_headers.update(headers or {})
        first_failure = None
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            try:
                self.connection.request(method, path, body=data, headers=all_headers)
                response = self.connection.getresponse()
                raw = response.read()
                answer_headers = {k.lower(): v for k, v in response.getheaders()}
                if answer_headers.get("connection", "").lower() == "close":
                    self.close()
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = raw
                if response.status == 502 and attempt == 0 and "Idempotency-Key" in all_headers:
                    # nginx lost the request to a server that was closing: its outcome is
                    # unknown to nginx, and the key makes sending it again safe.
                    first_failure = 502
                    continue
                if first_failure is not None:
                    with RETRIED_LOCK:
                        RETRIED_POSTS.append([time.time(), path, first_failure])
                return response.status, answer_headers, parsed
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                # A keep-alive connection to nginx that closed under this request. Whether the
                # request was carried out is unknown: it is sent again only if idempotent, or a
                # POST with its Idempotency-Key; anything else is the transport error it is.
                self.close()
                if attempt == 1 or method == "PATCH" or (method == "POST" and "Idempotency-Key" not in all_headers):
                    return 0, {"error": repr(error)}, None
                # A GET sent again is not counted: only POSTs need their key to be resent.
                if method == "POST":
                    first_failure = 0
            except (OSError, http.client.HTTPException) as error:
                self.close()
                return 0, {"error": repr(error)}, None
        return 0, {}, None

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def must(client, method, path, body=None, expect=(200, 201, 202, 204), token=None):
    status, _, answer = client.request(method, path, body, token=token)
    if status not in expect:
        sys.exit(f"scale-load: setup: {method} {path}: {status} {answer!r}")
    return answer


def psql(sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", os.environ["DATABASE_URL"], "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def setup(base, token, receiver, state_path):
    api = Client(base, token)
    hook = Client(receiver)
    issue = must(api, "POST", "/issues", {"slug": "scale-check", "title": "Scale check", "summary": "The scale check's issue.",
                                          "reportsTo": "Economic and Social Council", "goals": []})
    first = datetime.date.today() + datetime.timedelta(days=30)
    days = [(first + datetime.timedelta(days=n)).isoformat() for n in range(3)]
    forum = must(api, "POST", f"/issues/{issue['id']}/forums", {
        "kind": "conference", "title": "Scale check conference",
        "venue": {"name": "Scale Centre", "city": "Geneva", "country": "CH", "timeZone": "Europe/Zurich"},
        "startsAt": f"{days[0]}T08:00", "endsAt": f"{days[2]}T20:00"})
    forum_id = forum["id"]
    must(api, "POST", f"/forums/{forum_id}/status", {"to": "announced"})
    venue = forum["venue"]["id"]
    hours = {day: {"opens": "08:00", "closes": "20:00"} for day in
             ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}
    session_rooms = [must(api, "POST", f"/venues/{venue}/rooms", {"name": f"Hall {n}", "capacity": 200})["id"] for n in range(1, 4)]
    workspaces = [must(api, "POST", f"/venues/{venue}/rooms", {"name": f"Workspace {n:02d}", "capacity": 20, "bookable": True,
                                                               "equipment": ["internet"], "openingHours": hours})["id"]
                  for n in range(1, 21)]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    must(api, "PUT", f"/forums/{forum_id}/workspaces", {
        "rooms": workspaces, "bookingOpensAt": (now - datetime.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "bookingClosesAt": f"{days[2]}T20:00"})
    organisations = [must(api, "POST", "/organisations", {"name": f"Scale organisation {n:03d}", "country": "KE",
                                                          "constituency": "ngo"})["id"] for n in range(120)]
    # Contacts with an address: their organisations' bookings make "booking confirmed" e-mails.
    for n, organisation in enumerate(organisations[:12]):
        must(api, "POST", "/accounts", {"name": f"Contact {n:02d}", "email": f"contact{n:02d}@scale.example",
                                        "roles": [{"role": "organisation", "organisation": organisation}]})
    # Speakers with an address: a publish that changes their sessions e-mails them.
    speakers = [must(api, "POST", "/people", {"name": f"Speaker {n:02d}", "organisation": organisations[0], "country": "KE",
                                              "email": f"speaker{n:02d}@scale.example"})["id"] for n in range(24)]
    sessions = []
    for index in range(12):
        day, slot, room = index // 6, (index % 6) // 3, index % 3
        start_minutes = 9 * 60 + 60 * slot
        session = must(api, "POST", f"/forums/{forum_id}/sessions", {
            "title": f"Session {index + 1}", "format": "panel",
            "startsAt": f"{days[day]}T{start_minutes // 60:02d}:00", "endsAt": f"{days[day]}T{start_minutes // 60:02d}:45",
            "room": session_rooms[room], "languages": ["en"]})
        sessions.append(session["id"])
        must(api, "PUT", f"/sessions/{session['id']}/speakers", [{"person": speakers[2 * index], "minutes": 10}])
    must(api, "POST", f"/forums/{forum_id}/agenda/versions", {"name": "Version 1"})

    # Subscribers: signed webhooks (registered at the receiver with the secret the API gave) and
    # e-mail addresses (confirmed in the database: the double opt-in is not what is checked here).
    for n in range(3):
        path = f"/hooks/scale-{n}"
        created = must(api, "POST", f"/forums/{forum_id}/subscriptions", {"channel": "webhook", "url": receiver + path})
        status, _, answer = hook.request("POST", "/_register", {"path": path, "secret": created["secret"]})
        if status != 204:
            sys.exit(f"scale-load: setup: receiver /_register: {status} {answer!r}")
    for n in range(3):
        must(api, "POST", f"/forums/{forum_id}/subscriptions", {"channel": "email", "address": f"reader{n}@scale.example"})
    psql(f"UPDATE subscription SET confirmed_at = now() WHERE forum_id = '{forum_id}' AND channel = 'email'")

    # A second forum takes nominations from four networks, each with two member organisations,
    # ten people and a focal point's token.
    nomination_forum = must(api, "POST", f"/issues/{issue['id']}/forums", {
        "kind": "conference", "title": "Scale check nominations",
        "venue": {"name": "Scale Centre", "city": "Geneva", "country": "CH", "timeZone": "Europe/Zurich"},
        "startsAt": f"{days[0]}T08:00", "endsAt": f"{days[2]}T20:00",
        "nominationsDeadline": f"{(first - datetime.timedelta(days=10)).isoformat()}T12:00", "speakingSlots": 10})["id"]
    for status in ("announced", "nominations_open"):
        must(api, "POST", f"/forums/{nomination_forum}/status", {"to": status})
    networks = []
    for n in range(4):
        network = must(api, "POST", "/networks", {"name": f"Scale network {n}", "constituency": "ngo"})["id"]
        people = []
        for k in range(2):
            member = organisations[100 + 2 * n + k]
            must(api, "PUT", f"/networks/{network}/members/{member}")
            people += [must(api, "POST", "/people", {"name": f"Nominee {n}-{k}-{j}", "organisation": member, "country": "KE"})["id"]
                       for j in range(5)]
        account = must(api, "POST", "/accounts", {"name": f"Focal point {n}", "roles": [{"role": "network", "network": network}]})
        focal = must(api, "POST", "/account-invitations/redeem", {"code": account["invitation"]["code"], "tokenName": "scale"})
        networks.append({"id": network, "token": focal["token"], "people": people})

    state = {"token": token, "forum": forum_id, "days": days, "workspaces": workspaces, "organisations": organisations[:100],
             "sessions": sessions, "speakers": speakers, "nominationForum": nomination_forum, "networks": networks}
    with open(state_path, "w") as out:
        json.dump(state, out)


class Tally:
    """Answers by kind of request and status, with the time of every 5xx and transport error."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}      # kind -> {status: n}
        self.failures = []    # [epoch, kind, status, detail]
        self.races = []       # [[status, problem type], ...] per contested slot
        self.revocations = {"revoked": 0, "refused_after": 0, "latencies_ms": [], "not_refused": 0}

    def add(self, kind, status, detail=None):
        with self.lock:
            per_kind = self.counts.setdefault(kind, {})
            per_kind[str(status)] = per_kind.get(str(status), 0) + 1
            if status == 0 or status >= 500:
                self.failures.append([time.time(), kind, status, str(detail)[:300]])


def problem_type(answer):
    return answer.get("type", "") if isinstance(answer, dict) else ""


def load(base, state_path, seconds, events_path, out_path):
    state = json.load(open(state_path))
    token, forum = state["token"], state["forum"]
    tally = Tally()
    started = time.time()
    deadline = started + seconds
    stop = threading.Event()

    def running():
        return not stop.is_set() and time.time() < deadline

    def reader(n):
        client, etag = Client(base), None
        for i in range(1_000_000):
            if not running():
                break
            headers = {"If-None-Match": etag} if etag and i % 2 else {}
            if i % 3 == 0:
                headers["Accept-Encoding"] = "gzip"
            status, answer_headers, answer = client.request("GET", f"/forums/{forum}/agenda", headers=headers)
            tally.add("agenda", status, answer if status >= 500 or status == 0 else None)
            if status == 200:
                etag = answer_headers.get("etag")
            time.sleep(0.005)

    def nominator(n):
        client = Client(base)
        rng = random.Random(n)
        withdrawn = 0
        for _ in range(100_000):
            if not running():
                break
            network = rng.choice(state["networks"])
            body = {"network": network["id"], "person": rng.choice(network["people"]), "rank": rng.randint(1, 25),
                    "statement": "Twenty years on water utilities."}
            status, _, answer = client.request("POST", f"/forums/{state['nominationForum']}/nominations", body, token=network["token"])
            tally.add("nomination", status, answer)
            # Withdraw half of them again, so nominating keeps succeeding as the load goes on.
            if status == 201 and rng.random() < 0.5:
                status, _, answer = client.request("POST", f"/nominations/{answer['id']}/withdrawal", token=network["token"])
                tally.add("withdrawal", status, answer)
                withdrawn += 1
            time.sleep(0.01)

    # Bookings: every round all bookers ask for the same room and half hour, each for another
    # organisation; exactly one may win. 20 rooms x 3 days x 24 half hours: more rounds than a
    # few minutes of load take.
    racers = 4
    slots = [(room, day, 8 * 60 + 30 * k) for room in state["workspaces"] for day in state["days"] for k in range(24)]
    random.Random(7).shuffle(slots)
    barrier = threading.Barrier(racers)
    race_results = {}

    def booker(n):
        client = Client(base, token)
        # Once every slot has had its race, the rounds go round again: every answer must then be
        # 409, and a 201 would be a second booking of a slot.
        for round_number in range(100_000):
            try:
                barrier.wait(timeout=TIMEOUT + 5)
            except threading.BrokenBarrierError:
                break
            if not running():
                barrier.abort()
                break
            slot = round_number % len(slots)
            room, day, start = slots[slot]
            length = 30
            organisation = state["organisations"][(round_number * racers + n) % len(state["organisations"])]
            body = {"room": room, "organisation": organisation, "startsAt": f"{day}T{start // 60:02d}:{start % 60:02d}",
                    "endsAt": f"{day}T{(start + length) // 60:02d}:{(start + length) % 60:02d}", "attendees": 1 + n}
            status, _, answer = client.request("POST", f"/forums/{forum}/workspace-bookings", body)
            tally.add("booking", status, answer)
            with tally.lock:
                race_results.setdefault(slot, []).append([status, problem_type(answer)])

    def publisher():
        client = Client(base, token)
        rng = random.Random(3)
        flipped = [False] * len(state["sessions"])
        for i in range(10_000):
            if not running():
                break
            # Change the draft (a session's speaker: the other one of its two), then publish it.
            index = rng.randrange(len(state["sessions"]))
            flipped[index] = not flipped[index]
            speaker = state["speakers"][2 * index + flipped[index]]
            status, _, answer = client.request("PUT", f"/sessions/{state['sessions'][index]}/speakers", [{"person": speaker, "minutes": 10}])
            tally.add("draft-change", status, answer)
            status, _, answer = client.request("POST", f"/forums/{forum}/agenda/versions", {"name": f"Load {i}"})
            tally.add("publish", status, answer)
            stop.wait(1.5)

    def revoker():
        client = Client(base, token)
        for i in range(10_000):
            if not running():
                break
            status, _, created = client.request("POST", "/tokens", {"name": f"load {i}"})
            tally.add("token-create", status, created)
            if status != 201:
                stop.wait(0.5)
                continue
            status, _, answer = client.request("GET", "/accounts/me", token=created["token"])
            tally.add("token-use", status, answer)
            status, _, answer = client.request("DELETE", f"/tokens/{created['id']}")
            tally.add("token-revoke", status, answer)
            if status != 204:
                continue
            revoked_at = time.time()
            with tally.lock:
                tally.revocations["revoked"] += 1
            # Through nginx either server may answer: both must refuse it within about a second.
            for _ in range(60):
                status, _, answer = client.request("GET", "/accounts/me", token=created["token"])
                if status == 401:
                    with tally.lock:
                        tally.revocations["refused_after"] += 1
                        tally.revocations["latencies_ms"].append(round((time.time() - revoked_at) * 1000))
                    break
                tally.add("token-after-revoke", status, answer)
                time.sleep(0.05)
            else:
                with tally.lock:
                    tally.revocations["not_refused"] += 1
            stop.wait(0.3)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=nominator, args=(n,)) for n in range(2)]
    threads += [threading.Thread(target=booker, args=(n,)) for n in range(racers)]
    threads += [threading.Thread(target=publisher), threading.Thread(target=revoker)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline + 2 * TIMEOUT - time.time()))
    stop.set()
    barrier.abort()
    for thread in threads:
        thread.join(TIMEOUT)

    races = {"slots": len(race_results), "rounds": sum(len(r) for r in race_results.values()) // racers, "won": 0, "double": 0, "none": 0, "created": 0, "conflict": 0, "other": {}}
    for results in race_results.values():
        winners = sum(1 for status, _ in results if status == 201)
        races["created"] += winners
        races["conflict"] += sum(1 for status, kind in results if status == 409 and kind.endswith("booking-conflict"))
        for status, kind in results:
            if status not in (201,) and not (status == 409 and kind.endswith("booking-conflict")):
                key = f"{status} {kind.rsplit('/', 1)[-1]}".strip()
                races["other"][key] = races["other"].get(key, 0) + 1
        if winners == 1:
            races["won"] += 1
        elif winners > 1:
            races["double"] += 1
        else:
            races["none"] += 1
    events = []
    if os.path.exists(events_path):
        events = [line.split() for line in open(events_path) if line.strip()]
    with open(out_path, "w") as out:
        json.dump({"started": started, "seconds": time.time() - started, "counts": tally.counts, "failures": tally.failures,
                   "races": races, "revocations": tally.revocations, "events": events, "retried_posts": RETRIED_POSTS}, out)


def poll(client, method, path, done, limit, token=None, headers=None):
    """Polls until done(status, headers, body) or `limit` seconds; returns the elapsed ms or None."""
    started = time.time()
    for _ in range(10_000):
        status, answer_headers, answer = client.request(method, path, token=token, headers=headers)
        if done(status, answer_headers, answer):
            return (time.time() - started) * 1000
        if time.time() - started > limit:
            return None
        time.sleep(0.01)
    return None


def revocation(a, b, state_path):
    state = json.load(open(state_path))
    server_a, server_b = Client(a, state["token"]), Client(b)
    created = must(server_a, "POST", "/tokens", {"name": "revocation check"})
    # B has seen the token work (and may have cached that) before A revokes it.
    status, _, answer = server_b.request("GET", "/accounts/me", token=created["token"])
    if status != 200:
        sys.exit(f"scale-load: revocation: the new token on the other server: {status} {answer!r}")
    must(server_a, "DELETE", f"/tokens/{created['id']}", expect=(204,))
    elapsed = poll(server_b, "GET", "/accounts/me", lambda s, h, b: s == 401, 10, token=created["token"])
    print(-1 if elapsed is None else round(elapsed))


def cache(a, b, state_path):
    state = json.load(open(state_path))
    forum = state["forum"]
    server_a, server_b = Client(a, state["token"]), Client(b)
    path = f"/forums/{forum}/agenda"
    # Both servers build and cache the current version (asked twice: the second is from the cache).
    for server in (server_a, server_b, server_a, server_b):
        must(server, "GET", path, expect=(200,))
    _, headers, before = server_b.request("GET", path)
    etag, version = headers.get("etag"), before["version"]
    # The first session's own two speakers (the load swaps between them); any other could be speaking
    # in a session at the same time (409 speaker-double-booked).
    speakers = state["speakers"][:2]
    for attempt in range(20):
        speaker = speakers[attempt % 2]
        must(server_a, "PUT", f"/sessions/{state['sessions'][0]}/speakers", [{"person": speaker, "minutes": 10}])
        status, _, published = server_a.request("POST", f"/forums/{forum}/agenda/versions", {"name": "Cache check"})
        if status == 201:
            break
        if status != 409:  # 409 agenda-unchanged: the speaker drawn was the one already there
            sys.exit(f"scale-load: cache: publish: {status} {published!r}")
    else:
        sys.exit("scale-load: cache: could not publish")

    def changed(status, headers, answer):
        return status == 200 and headers.get("etag") != etag and isinstance(answer, dict) and answer.get("version", 0) > version
    elapsed = poll(server_b, "GET", path, changed, 10)
    print(-1 if elapsed is None else round(elapsed))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(*args)
    elif command == "load":
        load(args[0], args[1], float(args[2]), args[3], args[4])
    elif command == "revocation":
        revocation(*args)
    elif command == "cache":
        cache(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
