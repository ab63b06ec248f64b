"""Network: connect to services on 127.0.0.1.

Attack: try every port of 127.0.0.1 in 47000-47099 (where the harness listens with a canary; a
real attacker would scan all ports: databases, Jupyter servers, the Docker socket's TCP twin) and
send the case's marker to whatever accepts. The harness records whether its canary heard it.
Also tries an outside address (a DNS lookup and a TCP connect to 1.1.1.1:53, 1 s timeout).
DAMAGE BOUND: 100 local ports, 64 bytes each.
Old grader: see BASELINE.md (expected: the canary hears the marker).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "canary": True}

import socket as _socket
import sys as _sys

MARKER = "__ADV_MARKER__"
if not getattr(_sys, "_adv_net", False):
    _sys._adv_net = True
    for _port in range(47000, 47100):
        try:
            with _socket.create_connection(("127.0.0.1", _port), timeout=0.2) as _conn:
                _conn.sendall(MARKER.encode() + b"\n")
        except OSError:
            pass
    try:
        _socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        print("outside reachable")
    except OSError:
        pass
