"""The shipped data: complete, matching its manifest, with attributions."""
from __future__ import annotations

import hashlib
import json

from inputs.data import data_path, open_text


def test_manifest_matches_files():
    manifest = json.loads(data_path("MANIFEST.json").read_text())
    assert len(manifest) >= 20
    total = 0
    for name, meta in manifest.items():
        data = data_path(name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
        assert meta["sources"], name
        total += len(data)
    assert total < 25_000_000


def test_attribution_names_every_licence():
    text = " ".join(data_path("ATTRIBUTION.md").read_text().split())
    for words in ("Open Government Licence", "OpenStreetMap", "PSSRU", "OS data", "Office for National Statistics",
                  "Royal Mail", "CC BY-NC-SA"):
        assert words in text, words


def test_gz_tables_open():
    with open_text("england_pcns.csv.gz") as f:
        assert f.readline().startswith("pcn_code,")
