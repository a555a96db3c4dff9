"""The install files agree with each other and with the README."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import DATA, ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ]", req.strip(), maxsplit=1)[0].lower()


def _spec(req: str) -> str:
    return req.replace(" ", "").lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip"))]
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip
    # What conda-forge lacks comes from PyPI through the pip section.
    assert sorted(map(_spec, conda + [d for d in pip if d != "-e ."])) == sorted(map(_spec, wanted))


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
    return [b.strip() for b in blocks]


def test_ci_runs_the_readme_test_command():
    test_cmd = next(c for c in _readme_commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci


def test_readme_has_a_run_command_for_the_default_scenario():
    assert any("forecast run" in c and "pip install" in c for c in _readme_commands())


def test_console_script_and_module_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["forecast"] == "forecast.cli:main"
    assert (ROOT / "forecast" / "__main__.py").exists()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package installed from a wheel (not editable) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True)
    return target


def _forecast(installed, cwd, *args, env=None):
    code = "import sys; from forecast.cli import main; sys.exit(main(sys.argv[1:]))"
    environ = {k: v for k, v in os.environ.items() if k != "FORECAST_DATA"}
    environ.update(PYTHONPATH=str(installed), **(env or {}))
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=environ,
                          capture_output=True, text=True)


def _user_folder(root: Path) -> Path:
    """A user's own data folder: the default scenario and the tables it reads."""
    for sub in ("scenarios", "rumours", "results"):
        shutil.copytree(DATA / sub, root / "data" / sub)
    for name in ("sources.csv", "facts.csv", "track_record.csv"):
        shutil.copy(DATA / name, root / "data" / name)
    return root / "data"


def test_an_installed_package_finds_data_by_flag_variable_or_current_folder(installed, tmp_path):
    assert not (installed / "data").exists()
    run = _forecast(installed, tmp_path, "validate")
    assert run.returncode == 2 and "give --data DIR or set FORECAST_DATA" in run.stderr
    data = _user_folder(tmp_path / "user")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd, args, env in ((tmp_path / "user", (), None),
                           (elsewhere, ("--data", str(data)), None),
                           (elsewhere, (), {"FORECAST_DATA": str(data)})):
        run = _forecast(installed, cwd, *args, "validate", env=env)
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("ok") and str(data / "scenarios") in run.stdout
    # The code that ran is the installed copy, not this checkout.
    where = subprocess.run([sys.executable, "-c", "import forecast; print(forecast.__file__)"],
                           cwd=elsewhere, env={**os.environ, "PYTHONPATH": str(installed)},
                           capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)
    bad = _forecast(installed, elsewhere, "--data", str(tmp_path / "missing"), "validate")
    assert bad.returncode == 2 and "--data" in bad.stderr and "not a folder" in bad.stderr
