"""What the report and the comparison pages share: the stylesheet and Content-Security-Policy,
the words for statuses and cost terms, and the formatting of values (escaping, numbers, £, %,
ids). Pure functions of their arguments; every one is defensive about missing or odd values
(``–`` for a number that is not there)."""
from __future__ import annotations

import html
import math
import re

import numpy as np

# the statuses that carry a plan (a run directory with these has an assignment)
PLAN_STATUSES = ("optimal", "feasible")

CSS = """
:root{--blue:#005eb8;--dark:#003087;--grey:#f0f4f5;--line:#d8dde0;--warn:#8a4b00;--ok:#006530}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:1180px;
padding:1rem 1.5rem 3rem;color:#1d1d1d;line-height:1.45;font-size:15px;background:#fff}
h1{font-size:1.65rem;margin:.4rem 0 .2rem;color:var(--dark)}
h2{font-size:1.25rem;border-bottom:2px solid var(--blue);padding-bottom:.2rem;margin:2.2rem 0 .8rem;color:var(--dark)}
h3{font-size:1.02rem;margin:1.2rem 0 .4rem}
.sub{color:#4c6272;margin:0 0 .6rem}
nav{font-size:.85rem;margin:.4rem 0 1rem}nav a{color:var(--blue);margin-right:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(13.5rem,1fr));gap:.7rem;margin:.8rem 0}
.kpi{background:var(--grey);border-left:4px solid var(--blue);padding:.5rem .75rem}
.kpi .v{display:block;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.kpi .l{display:block;font-size:.8rem;color:#4c6272}.kpi .d{display:block;font-size:.85rem}
.status{padding:.6rem .8rem;border-left:4px solid var(--ok);background:#eef7f1;margin:.8rem 0}
.status.warn{border-color:#ffb81c;background:#fff8e6}.status.bad{border-color:#d5281b;background:#fdeeec}
.note{font-size:.85rem;color:#4c6272}
.warning{border-left:4px solid #ffb81c;background:#fff8e6;padding:.4rem .7rem;margin:.4rem 0}
.good{color:var(--ok)}.bad{color:#b1261a}
table{border-collapse:collapse;width:100%;font-size:.84rem;margin:.4rem 0 1rem}
th,td{border-bottom:1px solid var(--line);padding:.28rem .45rem;text-align:left;vertical-align:top}
thead th{background:var(--grey);position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.out td{background:#fff4f2}
tbody.fed th{background:#e8edee;font-weight:600;text-align:left}
tfoot td{font-weight:600;border-top:2px solid #aeb7bd}
table.kv{width:auto;min-width:28rem}table.kv th{background:none;width:14rem;font-weight:600}
.maps{display:flex;flex-wrap:wrap;gap:1.2rem}
.maps figure{flex:1 1 460px;margin:0;min-width:0}
.maps svg{width:100%;height:auto;display:block;border:1px solid var(--line)}
figcaption{font-size:.82rem;color:#4c6272;margin-top:.3rem}
figcaption b{color:#1d1d1d}
pre{background:#f7f7f7;border:1px solid var(--line);padding:.6rem;overflow:auto;font-size:.74rem;
max-height:26rem;white-space:pre-wrap;word-break:break-word}
.wide{overflow-x:auto}
table.mb th,table.mb td{font-size:.76rem;padding:.2rem .35rem}
table.mb tbody th{white-space:nowrap;font-weight:600;position:sticky;left:0;background:#fff}
td.hub{min-width:13rem}
td.make{background:#d9efe1}span.make{background:#d9efe1;padding:0 .25rem}
footer{margin-top:2.5rem;font-size:.8rem;color:#4c6272;border-top:1px solid var(--line);padding-top:.5rem}
@media print{
body{max-width:none;padding:0;font-size:10.5pt}
nav{display:none}
h2{break-after:avoid}
section{break-inside:auto}
.maps figure{break-inside:avoid;flex-basis:45%}
tr,.kpi{break-inside:avoid}
thead th{position:static}
pre{max-height:none;overflow:visible}
a{color:inherit;text-decoration:none}
}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

TERM_LABELS = {
    "access": "Patient access (travel to the hub)",
    "fixed": "Federation fixed costs",
    "federation_fixed": "Federation fixed costs (core team)",
    "penalty": "Bound penalty (soft bounds)",
    "disruption": "Disruption (practices hosted outside their current PCN)",
    "services": "Services (make or buy)",
    "risk": "Financial risk (reserve or stop-loss cover, the cheaper)",
    "engagement": "Engagement (coordination per member + expected loss of the pooled incentive)",
}

STATUS_WORDS = {
    "optimal": "proven optimal",
    "feasible": "best plan found, not proven optimal",
    "infeasible": "no plan exists under these rules (proven)",
    "error": "no plan: the solver stopped without one",
}

STATUS_SHORT = {"optimal": "Proven optimal", "feasible": "Feasible", "infeasible": "Infeasible", "error": "No plan"}

# ---------------------------------------------------------------- formatting


def esc(v) -> str:
    """HTML-escaped text of any value (quotes too); None is empty."""
    return html.escape("" if v is None else str(v), quote=True)


def finite(v) -> float | None:
    """A finite float, or None for missing / non-numeric / NaN / infinite values."""
    if v is None or isinstance(v, (bool, np.bool_)):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def num(v, digits: int = 0) -> str:
    """A number with thousands separators and a true minus sign; ``–`` when missing."""
    x = finite(v)
    if x is None:
        return "–"
    s = f"{abs(x):,.{digits}f}"
    return ("−" + s) if x < 0 and float(s.replace(",", "")) != 0 else s


def gbp(v, digits: int = 0) -> str:
    """Pounds: ``£1,234`` or ``−£1,234``; ``–`` when missing."""
    x = finite(v)
    if x is None:
        return "–"
    s = f"£{abs(x):,.{digits}f}"
    return ("−" + s) if x < 0 and round(abs(x), digits) > 0 else s


def signed_gbp(v) -> str:
    """Whole pounds with a ``+`` on a positive amount (a difference); ``–`` when missing."""
    x = finite(v)
    if x is None:
        return "–"
    return gbp(x) if round(x) <= 0 else "+" + gbp(x)


def pct(v, digits: int = 1, signed: bool = False) -> str:
    """A share as a percentage (0.125 -> ``12.5%``), ``+`` on a positive one when ``signed``."""
    x = finite(v)
    if x is None:
        return "–"
    s = f"{abs(x) * 100:,.{digits}f}%"
    if x < 0 and float(s[:-1].replace(",", "")) != 0:
        return "−" + s
    return ("+" + s) if signed and x > 0 and float(s[:-1].replace(",", "")) != 0 else s


def value_text(v) -> str:
    """A parameter value for the assumptions table (escaped)."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    x = finite(v) if isinstance(v, (float, np.floating)) else None
    if x is not None:
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.6g}"
    if isinstance(v, dict):
        return "; ".join(f"{esc(k)}: {value_text(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(value_text(x) for x in v)
    return esc(v)


def key_label(key: str) -> str:
    """A summary key in words (``federation_fixed`` -> ``federation fixed``)."""
    return str(key).replace("_", " ")


def as_dict(v) -> dict:
    """``v`` if it is a dict, else an empty one (summaries may lack or garble any key)."""
    return v if isinstance(v, dict) else {}


def records(v) -> list:
    """The dicts of a list or tuple (other items and non-lists give nothing)."""
    return [x for x in v if isinstance(x, dict)] if isinstance(v, (list, tuple)) else []


def id_key(v):
    """Comparable id: integers stay integers (1, 1.0, '1', np.int64(1) all match), else text."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return int(v) if math.isfinite(v) and float(v).is_integer() else str(v)
    s = str(v).strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    return s
