"""Dockerfile: the base image matches the pinned Airflow and Python, installs are pinned by the lock.

Docker is not needed: the Dockerfile, .dockerignore, requirements and pyproject are parsed.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devstack.config import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), " ".join(rest.split())))
    return result


def requirement_lines(path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def pins(path) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line (extras dropped)."""
    found = {}
    for req in requirement_lines(path):
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if exact:
            found[canonicalize_name(req.name)] = exact[0]
    return found


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_base_image_matches_the_pinned_airflow_and_python(steps, pyproject):
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 1, froms
    match = re.fullmatch(r"apache/airflow:(?P<airflow>[\d.]+)-python(?P<python>\d+\.\d+)", froms[0])
    assert match, f"unexpected base image {froms[0]}"
    assert match["airflow"] == pins(REPO_ROOT / "requirements.txt")["apache-airflow"]
    assert match["airflow"] == pins(REPO_ROOT / "requirements.lock")["apache-airflow"]
    requires_python = pyproject["project"]["requires-python"]
    assert f">={match['python']}" in requires_python.replace(" ", ""), requires_python


def test_dependencies_install_as_airflow_user_with_the_lock_as_constraints(steps):
    pip_runs = [args for word, args in steps if word == "RUN" and "pip install" in args]
    deps = [r for r in pip_runs if "requirements.txt" in r]
    assert len(deps) == 1, pip_runs
    assert re.search(r"-r \S*requirements\.txt", deps[0]) and re.search(r"-c \S*requirements\.lock", deps[0])
    assert "--no-cache-dir" in deps[0]
    before = steps[: steps.index(("RUN", deps[0]))]
    users = [args for word, args in before if word == "USER"]
    assert users and users[-1] == "airflow", "pip must run as the airflow user (official image pattern)"
    copied = " ".join(args for word, args in before if word == "COPY")
    assert "requirements.txt" in copied and "requirements.lock" in copied


def test_lock_pins_every_direct_dependency():
    """With ``-c requirements.lock`` every package of requirements.txt gets the tested version."""
    locked = pins(REPO_ROOT / "requirements.lock")
    for req in requirement_lines(REPO_ROOT / "requirements.txt"):
        assert canonicalize_name(req.name) in locked, f"{req.name} is not pinned in requirements.lock"
        assert req.specifier.contains(locked[canonicalize_name(req.name)]), req


def test_provider_package_installs_without_dependencies(steps, pyproject):
    assert pyproject["project"]["name"] == "airflow-provider-dataplatform"
    runs = [args for word, args in steps if word == "RUN" and "--no-deps" in args]
    assert len(runs) == 1 and "pip install" in runs[0], runs
    deps_run = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "requirements.txt" in a)
    provider_run = steps.index(("RUN", runs[0]))
    assert deps_run < provider_run, "dependencies first: editing the package must not reinstall them"
    copied = " ".join(args for word, args in steps[deps_run:provider_run] if word == "COPY")
    needed = ["pyproject.toml", "include/"]
    if readme := pyproject["project"].get("readme"):
        needed.append(readme)  # setuptools reads it while building the package
    for path in needed:
        assert path in copied, f"{path} is needed to build the package but not copied before pip install"


def test_dags_and_plugins_are_baked_in_last(steps):
    copies = [args.split() for word, args in steps if word == "COPY"]
    targets = {c[-2]: c[-1] for c in copies}
    assert targets.get("dags/") == "/opt/airflow/dags/"
    assert targets.get("plugins/") == "/opt/airflow/plugins/"
    last_run = max(i for i, (word, _) in enumerate(steps) if word == "RUN")
    dags_copy = next(i for i, (word, args) in enumerate(steps) if word == "COPY" and " dags/ " in f" {args} ")
    assert dags_copy > last_run, "DAGs change most often: copy them after every install step"


def test_dockerignore_keeps_local_state_out_but_not_what_is_copied(steps):
    patterns = [
        p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")
    ]
    for must in (".git", ".venv", ".local"):
        assert must in patterns, f".dockerignore must exclude {must}"
    sources = [
        s for word, args in steps if word == "COPY" for s in args.split()[:-1] if not s.startswith("--")
    ]
    for source in sources:
        name = source.rstrip("/")
        ignored = [p for p in patterns if fnmatch.fnmatch(name, p.rstrip("/"))]
        assert not ignored, f"{source} is copied by the Dockerfile but excluded by .dockerignore {ignored}"
        assert (REPO_ROOT / name).exists(), f"{source} does not exist"
