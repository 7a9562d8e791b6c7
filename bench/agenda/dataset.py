#!/usr/bin/env python3
"""Loads the agenda benchmark's dataset through the API, as a secretariat would: a two-day
forum in three rooms with 60 sessions of 30 minutes and 90 speakers (one or two per session,
the shape used to measure the field's reference systems), published as version 1.

usage: dataset.py BASE_URL TOKEN   (prints the forum's id)
"""
import json
import sys
import urllib.error
import urllib.request

base, token = sys.argv[1], sys.argv[2]


def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path}: {error.code} {error.read().decode()}")


issue = call("POST", "/issues", {"slug": "agenda-bench", "title": "Agenda benchmark", "summary": "The issue of the agenda benchmark.",
                                 "reportsTo": "Economic and Social Council", "goals": []})
forum = call("POST", f"/issues/{issue['id']}/forums", {
    "kind": "conference", "title": "Agenda benchmark conference",
    "venue": {"name": "Bench Centre", "city": "Geneva", "country": "CH", "timeZone": "Europe/Zurich"},
    "startsAt": "2027-06-01T08:00", "endsAt": "2027-06-02T18:00"})
call("POST", f"/forums/{forum['id']}/status", {"to": "announced"})
venue = forum["venue"]["id"]
rooms = [call("POST", f"/venues/{venue}/rooms", {"name": f"Room {n}", "capacity": 200})["id"] for n in range(1, 4)]
organisation = call("POST", "/organisations", {"name": "Bench organisation", "country": "KE", "constituency": "ngo"})["id"]
people = [call("POST", "/people", {"name": f"Speaker {n:02d}", "organisation": organisation, "country": "KE"})["id"] for n in range(90)]

speaker = 0
for index in range(60):
    day, slot, room = index // 30, (index % 30) // 3, index % 3
    start = f"2027-06-0{day + 1}T{9 + slot // 2:02d}:{30 * (slot % 2):02d}"
    end_minutes = 9 * 60 + 30 * slot + 30
    end = f"2027-06-0{day + 1}T{end_minutes // 60:02d}:{end_minutes % 60:02d}"
    session = call("POST", f"/forums/{forum['id']}/sessions", {
        "title": f"Session {index + 1}: water, cities and finance", "format": "panel", "startsAt": start, "endsAt": end,
        "room": rooms[room], "languages": ["en"], "interpretation": ["fr", "es"],
        "description": "A panel of the benchmark conference, with a description of ordinary length for a programme."})
    count = 2 if index % 2 == 0 else 1
    call("PUT", f"/sessions/{session['id']}/speakers", [{"person": people[speaker + k], "minutes": 10} for k in range(count)])
    speaker += count
call("POST", f"/forums/{forum['id']}/agenda/versions", {"name": "Benchmark"})
print(forum["id"])
