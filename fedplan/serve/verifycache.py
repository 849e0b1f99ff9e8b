"""Memoise what the independent verifier (``fedplan.optimise.verify``) re-reads and recomputes,
so that it can check every edit within the re-score's latency budget.

Verify stays independent: every value it uses is still computed by its own functions
(``read_catalogue``, ``model_minutes``, ``verify_costs.risk_cost`` and ``services_cost``), never
taken from the engine; this only keeps their results. A move changes two federation populations,
so after the first check of a plan a re-check recomputes two risk and two services costs instead of
all of them, and reads no file. Keys are everything the functions depend on (the risk settings,
the population, the area's mean list; the catalogue file, its modification time and the
scenario's overrides; the practices object itself for the road-time model).
"""
from __future__ import annotations

import importlib
import os
import threading
from collections import OrderedDict

# the module, not the function of the same name that fedplan.optimise re-exports
verify_module = importlib.import_module("fedplan.optimise.verify")

_lock = threading.Lock()
_installed = False
MAX_ENTRIES = 200_000          # populations x settings; a long session stays well under this


class _Memo:
    def __init__(self, size: int = MAX_ENTRIES):
        self.data: OrderedDict = OrderedDict()
        self.size = size

    def get(self, key, compute):
        with _lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = compute()
        with _lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


def install() -> None:
    """Wrap verify's recomputations with memos (idempotent; the serve process only)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    risk_cost, services_cost = verify_module.risk_cost, verify_module.services_cost
    read_catalogue, model_minutes = verify_module.read_catalogue, verify_module.model_minutes
    risks, services, catalogues, minutes = _Memo(), _Memo(), _Memo(64), _Memo(16)
    held: dict[int, object] = {}      # the objects whose id() keys a memo stay alive with it

    def cached_risk(risk, population, mean_list):
        return risks.get((risk, int(population), float(mean_list)), lambda: risk_cost(risk, population, mean_list))

    def cached_services(catalogue, population, **kw):
        held[id(catalogue)] = catalogue
        key = (id(catalogue), int(population), tuple(sorted(kw.items())))
        return services.get(key, lambda: services_cost(catalogue, population, **kw))

    def cached_catalogue(scenario):
        path = scenario.inputs.catalogue
        stamp = None
        if path is not None:
            try:
                stamp = os.stat(path).st_mtime_ns
            except OSError:
                return read_catalogue(scenario)       # let verify say what is wrong with it
        key = (str(path), stamp, repr(scenario.service_overrides), repr(scenario.makebuy))
        return catalogues.get(key, lambda: read_catalogue(scenario))

    def cached_minutes(practices, pairs):
        held[id(practices)] = practices
        codes = list(practices.code)
        table = minutes.get(id(practices), lambda: model_minutes(practices, [(a, b) for a in codes for b in codes]))
        return {pair: table[pair] for pair in pairs if pair in table}

    verify_module.risk_cost = cached_risk
    verify_module.services_cost = cached_services
    verify_module.read_catalogue = cached_catalogue
    verify_module.model_minutes = cached_minutes
