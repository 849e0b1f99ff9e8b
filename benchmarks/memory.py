"""Peak memory of loading the national tables (issue 7: under 2 GB). Each step runs in a fresh
Python process, so its peak resident set (ru_maxrss) is its own; "everything" loads them all in
one process. Prints a Markdown table.

    python benchmarks/memory.py
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys

STEPS = {
    "python + fedplan imports": "import fedplan; from fedplan import geo, inputs, optimise, reports",
    "national practices (6,129), validated and projected":
        "from fedplan import geo, inputs; p = inputs.load_national_practices(); geo.project_practices(p)",
    "areas table (ICBs, sub-ICBs)": "from fedplan import inputs; inputs.list_areas(inputs.load_national_practices())",
    "PCNs and sub-ICBs tables":
        "import pandas as pd; from fedplan.inputs.data import data_path; "
        "[pd.read_csv(data_path(n)) for n in ('england_pcns.csv.gz', 'england_sub_icbs.csv.gz')]",
    "LSOA table (33,755 rows)":
        "import pandas as pd; from fedplan.inputs.data import data_path; pd.read_csv(data_path('england_lsoa21.csv.gz'))",
    "boundaries: every ICB, sub-ICB, region, LAD polygon, projected":
        "from fedplan.geo import LEVELS, load_boundary; [load_boundary(k, ()) for k in LEVELS]",
    "LSOA polygons, all 7 regions (33,755)":
        "import geopandas as gpd, pandas as pd; from fedplan.inputs.data import data_path; import glob, os; "
        "d = os.path.dirname(data_path('icb_2026.geojson.gz')); "
        "pd.concat([gpd.read_file('/vsigzip/' + f) for f in sorted(glob.glob(os.path.join(d, 'lsoa21_*.geojson.gz')))])",
}

PROBE = """
import json, resource, time
t = time.perf_counter()
{code}
print(json.dumps({{"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"# peak memory of the national tables, {platform.machine()} ({os.cpu_count()} cores), "
          f"Python {platform.python_version()}, {datetime.date.today()}")
    print("| step | peak resident MB | seconds |")
    print("|---|---:|---:|")
    for name, code in STEPS.items():
        r = measure(code)
        print(f"| {name} | {r['peak_mb']:,.0f} | {r['seconds']:.2f} |")
    everything = "; ".join(STEPS.values())
    r = measure(everything)
    print(f"| **everything above in one process** | **{r['peak_mb']:,.0f}** | {r['seconds']:.2f} |")


if __name__ == "__main__":
    main()
