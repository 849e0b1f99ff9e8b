"""The house rules of the code, checked on the source: one namespace, layers that import downward
only, no import cycle (imports inside functions included), no private name taken from another
module, no module over 800 lines, and every package opening with a table of its modules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fedplan

# the folders of the installed fedplan.* packages, read where the modules in use live
PACKAGE = Path(fedplan.__file__).resolve().parent
ROOTS = {"fedplan": PACKAGE}
for sub in ("inputs", "geo", "optimise", "reports"):
    mod = __import__(f"fedplan.{sub}", fromlist=["_"])
    ROOTS[f"fedplan.{sub}"] = Path(mod.__file__).resolve().parent
LAYER = {"fedplan.inputs": 0, "fedplan.geo": 1, "fedplan.optimise": 2, "fedplan.reports": 3, "fedplan": 4}
MAX_LINES = 800


def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the distribution."""
    out: dict[str, Path] = {}
    for name, root in ROOTS.items():
        for f in root.rglob("*.py"):
            rel = f.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if name == "fedplan" and parts and parts[0] in ("inputs", "geo", "optimise", "reports"):
                continue                 # an installed copy nests them; ROOTS names them already
            out[".".join([name, *parts])] = f
    return out


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package(name, path).split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names], node.lineno))
    return out


def resolve(target: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The project modules an import statement loads (``from pkg import mod`` loads pkg.mod)."""
    # "from fedplan import geo" loads fedplan.geo; fedplan's own __init__ is a lazy namespace (PEP 562)
    hits = [target] if target in known and not (target == "fedplan" and names) else []
    hits += [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
    return hits


def layer(mod: str) -> int:
    for prefix in ("fedplan.inputs", "fedplan.geo", "fedplan.optimise", "fedplan.reports"):
        if mod == prefix or mod.startswith(prefix + "."):
            return LAYER[prefix]
    return LAYER["fedplan"]


def graph() -> dict[str, set[str]]:
    known = modules()
    g: dict[str, set[str]] = {m: set() for m in known}
    for mod, path in known.items():
        for target, names, _ in imports(mod, path):
            for hit in resolve(target, names, known):
                if hit != mod:
                    g[mod].add(hit)
    return g


def test_nothing_imports_the_bare_top_level_names():
    bad = []
    for mod, path in modules().items():
        for target, _, line in imports(mod, path):
            if target.split(".")[0] in ("inputs", "geo", "optimise", "reports"):
                bad.append(f"{mod}:{line} imports {target}")
    assert not bad, bad


def test_layers_import_downward_only():
    """inputs -> geo -> optimise -> reports -> fedplan: a module imports only its own layer or lower."""
    bad = [f"{a} imports {b}" for a, targets in graph().items() for b in targets if layer(b) > layer(a)]
    assert not bad, bad


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(g[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_no_private_name_is_imported_from_another_module():
    known = modules()
    bad = []
    for mod, path in known.items():
        for target, names, line in imports(mod, path):
            if target.split(".")[0] != "fedplan":
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    bad.append(f"{mod}:{line} takes {n} from {target}")
    assert not bad, bad


@pytest.mark.parametrize("mod", sorted(modules()))
def test_modules_stay_small(mod):
    lines = modules()[mod].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{mod} has {lines} lines (at most {MAX_LINES})"


def test_every_package_opens_with_a_table_of_its_modules():
    for mod, path in modules().items():
        if path.name != "__init__.py" or mod == "fedplan.inputs.data":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        here = sorted(p.stem for p in path.parent.glob("*.py") if p.stem != "__init__")
        here += sorted(p.name for p in path.parent.iterdir() if (p / "__init__.py").is_file() and p.name != "data")
        missing = [m for m in here if f"``{m}``" not in doc and f"``{mod}.{m}``" not in doc]
        assert not missing, f"{mod}'s docstring has no line for {missing}"


def test_tests_import_no_private_name():
    tests = Path(__file__).resolve().parent
    bad = []
    for f in tests.rglob("test_*.py"):
        for target, names, line in imports("tests." + f.stem, f):
            if target.split(".")[0] == "fedplan":
                bad += [f"{f.name}:{line} takes {n} from {target}" for n in names
                        if n.startswith("_") and not n.startswith("__")]
    assert not bad, bad
