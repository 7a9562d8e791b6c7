#!/usr/bin/env python3
"""Loads the booking benchmark's dataset through the API, as a secretariat would: a three-day
conference (30 days from now) whose venue offers 20 bookable rooms (open 08:00-20:00 every day), booking open now,
and 1,000 organisations to book for (so the daily quota rarely is what refuses).

usage: dataset.py BASE_URL TOKEN   (prints: forum id, then the room ids, organisation ids and days as JSON)
"""
import datetime
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


issue = call("POST", "/issues", {"slug": "booking-bench", "title": "Booking benchmark", "summary": "The issue of the booking benchmark.",
                                 "reportsTo": "Economic and Social Council", "goals": []})
# Three days starting 30 days from now, so the bench never books in the past.
first = datetime.date.today() + datetime.timedelta(days=30)
days = [(first + datetime.timedelta(days=n)).isoformat() for n in range(3)]
forum = call("POST", f"/issues/{issue['id']}/forums", {
    "kind": "conference", "title": "Booking benchmark conference",
    "venue": {"name": "Bench Centre", "city": "Geneva", "country": "CH", "timeZone": "Europe/Zurich"},
    "startsAt": f"{days[0]}T08:00", "endsAt": f"{days[2]}T20:00"})
call("POST", f"/forums/{forum['id']}/status", {"to": "announced"})
venue = forum["venue"]["id"]
hours = {day: {"opens": "08:00", "closes": "20:00"} for day in
         ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}
rooms = [call("POST", f"/venues/{venue}/rooms", {"name": f"Workspace {n:02d}", "capacity": 20, "bookable": True,
                                                 "equipment": ["computers", "internet"], "openingHours": hours})["id"] for n in range(1, 21)]
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
call("PUT", f"/forums/{forum['id']}/workspaces", {
    "rooms": rooms, "bookingOpensAt": (now - datetime.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    "bookingClosesAt": f"{days[2]}T20:00"})
organisations = [call("POST", "/organisations", {"name": f"Bench organisation {n:04d}", "country": "KE", "constituency": "ngo"})["id"]
                 for n in range(1000)]
print(forum["id"])
print(json.dumps({"rooms": rooms, "organisations": organisations, "days": days}))
